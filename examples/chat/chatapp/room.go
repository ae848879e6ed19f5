package chatapp

import (
	"encoding/json"
	"log"
	"sync"

	"github.com/iris-contrib/websocket"
)

// tooSlow is the reason given to a client dropped for a full send queue.
const tooSlow = "too slow: send queue full"

// Kinds of Event.
const (
	KindJoin    = "join"
	KindLeave   = "leave"
	KindMessage = "message"
)

// Event is what the server sends to the members of a room, as a JSON text
// message: someone joined, left, or said something.
type Event struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Text is the message of a KindMessage event, and for KindLeave the
	// reason when the server dropped the client.
	Text string `json:"text,omitempty"`
}

// hub holds the rooms that have members. Lock order: hub.mu, then room.mu.
type hub struct {
	mu    sync.Mutex
	rooms map[string]*room
}

// room is a set of clients that see each other's messages.
type room struct {
	mu      sync.Mutex
	members map[*client]struct{}
}

// join adds c to the named room, creating it if needed, and tells the room.
func (h *hub) join(roomName string, c *client) *room {
	h.mu.Lock()
	r := h.rooms[roomName]
	if r == nil {
		r = &room{members: make(map[*client]struct{})}
		h.rooms[roomName] = r
	}
	r.mu.Lock()
	r.members[c] = struct{}{}
	r.mu.Unlock()
	h.mu.Unlock()

	r.broadcast(Event{Kind: KindJoin, Name: c.name})
	return r
}

// leave removes c from its room and tells the others, unless the room has
// dropped c already (and told them then). It deletes the room once empty.
func (h *hub) leave(roomName string, r *room, c *client) {
	h.mu.Lock()
	r.mu.Lock()
	_, member := r.members[c]
	delete(r.members, c)
	if len(r.members) == 0 && h.rooms[roomName] == r {
		delete(h.rooms, roomName)
	}
	r.mu.Unlock()
	h.mu.Unlock()

	if member {
		r.broadcast(Event{Kind: KindLeave, Name: c.name})
	}
}

// broadcast queues e for every member. It encodes e once: a PreparedMessage
// builds each wire form (compressed or not) once for all the connections that
// share it. A member whose queue is full is dropped from the room rather than
// waited for, so one slow reader cannot stall the others.
func (r *room) broadcast(e Event) {
	data, err := json.Marshal(e)
	if err != nil {
		log.Printf("chat: encode %s event: %v", e.Kind, err)
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		log.Printf("chat: prepare %s event: %v", e.Kind, err)
		return
	}

	var dropped []*client
	r.mu.Lock()
	for c := range r.members {
		select {
		case c.send <- pm:
		default:
			delete(r.members, c)
			dropped = append(dropped, c)
		}
	}
	r.mu.Unlock()

	for _, c := range dropped {
		c.drop(websocket.ClosePolicyViolation, tooSlow)
		r.broadcast(Event{Kind: KindLeave, Name: c.name, Text: tooSlow})
	}
}

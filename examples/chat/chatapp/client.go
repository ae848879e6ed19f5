package chatapp

import (
	"log"
	"net"
	"sync/atomic"
	"time"

	"github.com/iris-contrib/websocket"
)

// closeGrace bounds the attempt to send a close frame to a dropped client,
// whose connection is most likely full.
const closeGrace = time.Second

// client is one member of a room: its connection, and the queue of messages
// its writer goroutine sends.
type client struct {
	conn *websocket.Conn
	name string
	send chan *websocket.PreparedMessage
	// dropped is set when the room drops the client.
	dropped atomic.Bool
}

// serveClient runs a client from join to leave, as the Server's Handler: it
// reads what the client says, while a goroutine of its own writes what the
// room says, so a slow connection never holds the room's lock, and
// KeepAlive pings the client, closing the connection of one that stops
// answering.
func serveClient(h *hub, opts Options, conn *websocket.Conn, roomName, name string) {
	c := &client{conn: conn, name: name, send: make(chan *websocket.PreparedMessage, opts.SendQueue)}
	stopPings := conn.KeepAlive(opts.PingInterval, opts.PongWait)
	defer stopPings()
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop(opts, stop)
	}()

	r := h.join(roomName, c)
	c.readLoop(r, opts)
	h.leave(roomName, r, c)

	close(stop)
	// Closing ends a write that waits for a peer that does not read.
	conn.Close()
	<-writerDone
}

// readLoop broadcasts each text message of the client to its room until the
// connection ends.
func (c *client) readLoop(r *room, opts Options) {
	c.conn.SetReadLimit(MaxMessageSize)
	for {
		messageType, p, err := c.conn.ReadMessage()
		if err != nil {
			if !c.dropped.Load() && websocket.IsUnexpectedCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				log.Printf("chat: %s (%s): %v", c.name, c.conn.RemoteAddr(), err)
			}
			return
		}
		if messageType != websocket.TextMessage {
			closeMessage := websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "text messages only")
			_ = c.conn.WriteControl(websocket.CloseMessage, closeMessage, time.Now().Add(opts.WriteWait))
			return
		}
		r.broadcast(Event{Kind: KindMessage, Name: c.name, Text: string(p)})
	}
}

// writeLoop sends the queued messages until stop is closed or a write
// fails.
func (c *client) writeLoop(opts Options, stop <-chan struct{}) {
	for {
		select {
		case pm := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(opts.WriteWait))
			if err := c.conn.WritePreparedMessage(pm); err != nil {
				// Closing the connection ends the read loop as well.
				c.conn.Close()
				return
			}
		case <-stop:
			return
		}
	}
}

// drop closes the connection of a client the room has removed, with code and
// reason in a close frame if one can still be sent. It does not wait.
func (c *client) drop(code int, reason string) {
	c.dropped.Store(true)
	go func() {
		closeMessage := websocket.FormatCloseMessage(code, reason)
		err := c.conn.WriteControl(websocket.CloseMessage, closeMessage, time.Now().Add(closeGrace))
		if tcp, ok := c.conn.NetConn().(*net.TCPConn); ok && err != nil {
			// The connection is full: reset it rather than have the kernel
			// keep trickling what it holds to a client the room gave up on.
			_ = tcp.SetLinger(0)
		}
		c.conn.Close()
	}()
}

package websocket

import (
	"context"
	"sync"
	"time"
)

// ConnSet tracks the open connections of a server so that they can all be
// closed, with close code 1001 (going away), when the server shuts down.
//
// A WebSocket connection is a hijacked HTTP connection: http.Server.Shutdown
// stops accepting requests and waits for the HTTP requests in progress, but
// it neither sees nor closes hijacked connections. With net/http, add each
// connection after the upgrade, then stop the HTTP server first, then the
// set:
//
//	c, err := upgrader.Upgrade(w, r, nil)
//	if err != nil {
//		return
//	}
//	defer c.Close()
//	defer conns.Add(c)()
//	...
//	srv.Shutdown(ctx)   // no new connections
//	conns.Shutdown(ctx) // close the WebSocket connections
//
// An iris Server needs none of this: it keeps a set of its own, which the
// app's Shutdown closes (see Server.Shutdown).
//
// The handler must keep reading the connection, as every handler should (see
// Control messages in the package documentation): the peer's answer to the
// close frame ends its read with a *CloseError, the handler returns, and the
// connection leaves the set.
//
// The zero value is an empty set, ready to use. A ConnSet must not be copied
// after its first use. It is an addition to the gorilla/websocket API.
type ConnSet struct {
	mu      sync.Mutex
	conns   map[*Conn]struct{}
	closing bool          // Shutdown was called
	drained chan struct{} // closed when the set empties after Shutdown was called
}

// goingAway is the payload of the close frame a ConnSet sends (RFC 6455
// section 7.4.1).
var goingAway = FormatCloseMessage(CloseGoingAway, "server shutting down")

// Add puts c in the set and returns the function that takes it out, which
// the handler calls (defers) when it is done with c; calling it more than
// once is harmless. If Shutdown was already called, Add sends c the close
// frame right away, so a connection upgraded during a shutdown is closed too.
func (s *ConnSet) Add(c *Conn) (remove func()) {
	s.add(c)
	var once sync.Once
	return func() { once.Do(func() { s.remove(c) }) }
}

// add puts c in the set, and sends it the close frame if Shutdown was
// called.
func (s *ConnSet) add(c *Conn) {
	s.mu.Lock()
	if s.conns == nil {
		s.conns = make(map[*Conn]struct{})
	}
	s.conns[c] = struct{}{}
	closing := s.closing
	s.mu.Unlock()
	if closing {
		sendGoingAway(c, time.Now().Add(controlWriteWait))
	}
}

// isClosing reports whether Shutdown was called.
func (s *ConnSet) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *ConnSet) remove(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if len(s.conns) == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
}

// Len returns the number of connections in the set.
func (s *ConnSet) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Shutdown sends a close frame with code 1001 (going away) to every
// connection in the set and waits until their handlers have all removed
// them, which they do when the close handshake ends their read. If ctx ends
// first, Shutdown closes the network connections of those left, so that
// every read and write on them fails, and returns ctx.Err() without waiting
// for their handlers. It returns nil when the set emptied in time.
//
// The close frames are sent concurrently, each bounded by ctx's deadline (or
// the connection's write deadline when ctx has none), so a peer that does
// not read cannot hold up the others. Connections added after Shutdown was
// called get their close frame from Add.
func (s *ConnSet) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if len(s.conns) == 0 {
		s.mu.Unlock()
		return nil
	}
	if s.drained == nil {
		s.drained = make(chan struct{})
	}
	drained := s.drained
	conns := s.snapshotLocked()
	s.mu.Unlock()

	deadline, _ := ctx.Deadline()
	var senders sync.WaitGroup
	for _, c := range conns {
		senders.Go(func() { sendGoingAway(c, deadline) })
	}
	sent := make(chan struct{})
	go func() {
		senders.Wait()
		close(sent)
	}()

	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		left := s.snapshotLocked()
		s.mu.Unlock()
		closeNetConns(left)
	}
	select {
	case <-sent:
	case <-ctx.Done():
		// A close frame is stuck behind a peer that does not read, on a
		// connection its handler left without closing it.
		closeNetConns(conns)
		<-sent
	}
	return err
}

// closeNetConns closes the network connections under conns, which makes
// every read and write on them fail at once.
func closeNetConns(conns []*Conn) {
	for _, c := range conns {
		c.conn.Close()
	}
}

func (s *ConnSet) snapshotLocked() []*Conn {
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return conns
}

// sendGoingAway starts the close handshake on c, best effort: a connection
// that already sent its close frame, or cannot take one, is closed by its
// handler or by Shutdown.
func sendGoingAway(c *Conn, deadline time.Time) {
	_ = c.WriteControl(CloseMessage, goingAway, deadline)
}

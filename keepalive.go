package websocket

import (
	"errors"
	"net"
	"sync"
	"time"
)

// ErrKeepAliveTimeout is what the stop function of KeepAlive returns when
// KeepAlive failed the connection because a pong did not arrive in time.
var ErrKeepAliveTimeout = errors.New("websocket: keepalive: no pong within the timeout")

// KeepAlive pings the peer every interval (RFC 6455 section 5.5.2) and fails
// the connection when the pong of a ping has not arrived within timeout: it
// closes the network connection, without a close frame, since a peer that
// does not answer pings would not answer that either. The read in progress,
// or the next one, then returns an error. Any pong counts as the answer.
//
// It returns stop, which ends the pings and waits for the pinging goroutine
// to exit; stop returns ErrKeepAliveTimeout if KeepAlive failed the
// connection, nil otherwise, and may be called any number of times. Call it
// when the connection is done, typically after the read loop:
//
//	stop := c.KeepAlive(30*time.Second, 10*time.Second)
//	defer stop()
//	for {
//		if _, _, err := c.ReadMessage(); err != nil {
//			if stop() == websocket.ErrKeepAliveTimeout {
//				// the peer stopped answering
//			}
//			return
//		}
//	}
//
// Pongs arrive through the pong handler, which runs inside the read methods:
// the connection must be read (see Control messages in the package
// documentation), and timeout must cover the longest time the reader spends
// between two reads. KeepAlive installs its pong handler, like the other
// Set*Handler methods, from the goroutine that reads, or before any reading
// starts. It wraps the pong handler in place when called: set your own pong
// handler before KeepAlive, and it keeps being called for every pong. A pong
// handler set after KeepAlive replaces KeepAlive's, which then sees no pong
// and fails the connection; to set one later, make it call the handler
// PongHandler returned before it is replaced. stop leaves the wrapping
// handler in place; it only passes pongs on.
//
// The pings are written with WriteControl, which may be called while other
// goroutines write messages. KeepAlive panics if interval or timeout is not
// positive. It is an addition to the gorilla/websocket API.
func (c *Conn) KeepAlive(interval, timeout time.Duration) (stop func() error) {
	if interval <= 0 || timeout <= 0 {
		panic("websocket: KeepAlive needs a positive interval and timeout")
	}
	k := &keepAlive{
		c:       c,
		pong:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		done:    make(chan struct{}),
	}
	next := c.PongHandler()
	c.SetPongHandler(func(appData string) error {
		select {
		case k.pong <- struct{}{}:
		default: // a pong is already noted
		}
		return next(appData)
	})
	go k.run(interval, timeout)
	return k.stop
}

// keepAlive is the state of one KeepAlive call.
type keepAlive struct {
	c        *Conn
	pong     chan struct{} // a pong arrived since the last ping was sent
	stopped  chan struct{} // closed by stop
	stopOnce sync.Once
	done     chan struct{} // closed when run returns
	err      error         // written by run before done is closed
}

func (k *keepAlive) stop() error {
	k.stopOnce.Do(func() { close(k.stopped) })
	<-k.done
	return k.err
}

// run sends a ping at each tick and waits for a pong after it.
func (k *keepAlive) run(interval, timeout time.Duration) {
	defer close(k.done)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	waiting := time.NewTimer(timeout)
	waiting.Stop() // started by each ping
	defer waiting.Stop()
	for {
		select {
		case <-ticker.C:
		case <-k.stopped:
			return
		}
		select {
		case <-k.pong: // the answer to an earlier ping, late: it proves nothing now
		default:
		}
		if k.c.writeErr() != nil {
			return // the connection failed already, perhaps by a timeout that was not the ping's
		}
		err := k.c.WriteControl(PingMessage, nil, time.Now().Add(timeout))
		var netErr net.Error
		switch {
		case err == ErrCloseSent:
			return // the close handshake has begun: no ping may follow
		case errors.As(err, &netErr) && netErr.Timeout():
			k.fail() // the peer does not even read
			return
		case err != nil:
			return // the connection failed already; the reader sees why
		}
		waiting.Reset(timeout)
		select {
		case <-k.pong:
		case <-waiting.C:
			k.fail()
			return
		case <-k.stopped:
			return
		}
	}
}

func (k *keepAlive) fail() {
	k.err = ErrKeepAliveTimeout
	k.c.conn.Close()
}

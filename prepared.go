package websocket

import (
	"sync"
	"time"
)

// PreparedMessage caches on the wire representations of a message payload.
// Use PreparedMessage to efficiently send a message payload to multiple
// connections. PreparedMessage is especially useful when compression is used
// because the CPU and memory expensive compression operation can be executed
// once for a given set of compression options.
//
// A PreparedMessage is safe for concurrent use by many connections.
type PreparedMessage struct {
	messageType int
	data        []byte

	serverFrameOnce sync.Once
	serverFrame     []byte // header and payload of the unmasked frame a server sends
}

// NewPreparedMessage returns an initialized PreparedMessage. You can then
// send it to connection using WritePreparedMessage method. Valid wire
// representation will be calculated lazily only once for a set of current
// connection options.
func NewPreparedMessage(messageType int, data []byte) (*PreparedMessage, error) {
	switch messageType {
	case TextMessage, BinaryMessage:
	case CloseMessage, PingMessage, PongMessage:
		if len(data) > maxControlFramePayload {
			return nil, errControlTooLong
		}
	default:
		return nil, errBadMessageType
	}
	return &PreparedMessage{messageType: messageType, data: data}, nil
}

// frame returns the encoded frame a server sends, built on first use.
func (pm *PreparedMessage) frame() []byte {
	pm.serverFrameOnce.Do(func() {
		headerSize := frameHeaderSize(len(pm.data), false)
		f := make([]byte, headerSize+len(pm.data))
		putFrameHeader(f[:headerSize], finalBit|byte(pm.messageType), len(pm.data), false, [maskKeySize]byte{})
		copy(f[headerSize:], pm.data)
		pm.serverFrame = f
	})
	return pm.serverFrame
}

// WritePreparedMessage writes prepared message into connection.
//
// Like WriteMessage, it may be called from several goroutines at once. A
// server sends the frame encoded once for every connection; a client masks
// each frame with a key of its own, as RFC 6455 section 5.3 requires.
func (c *Conn) WritePreparedMessage(pm *PreparedMessage) error {
	if !c.isServer || isControlOpcode(byte(pm.messageType)) {
		// Control frames are too small to be worth caching.
		return c.WriteMessage(pm.messageType, pm.data)
	}
	frame := pm.frame()
	c.messageMu.Lock()
	defer c.messageMu.Unlock()
	c.lockFrame(time.Time{})
	defer c.unlockFrame()
	return c.writeLocked(c.writeDeadline.Load(), frame, nil)
}

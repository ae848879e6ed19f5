package websocket

import (
	"sync"
	"time"
)

// PreparedMessage is a message to send to many connections. Its frame is
// built once for each set of compression options, and then reused by every
// connection with those options. The saving is largest with compression,
// since deflating is the costly part of a write.
//
// A PreparedMessage is safe for concurrent use by many connections.
type PreparedMessage struct {
	messageType int
	data        []byte

	mu       sync.Mutex
	variants map[preparedKey]*preparedVariant
}

// preparedKey names an encoding of a prepared message: how its payload is
// compressed, if at all.
type preparedKey struct {
	compressed bool
	level      int
	windowBits int
}

// preparedVariant is one encoding, built once.
type preparedVariant struct {
	once    sync.Once
	first   byte   // first header byte: final bit, RSV1, opcode
	payload []byte // compressed or not
	frame   []byte // header and payload of the unmasked frame a server sends
	err     error
}

// NewPreparedMessage returns a message of type messageType with payload
// data, for WritePreparedMessage. Its frames are built on first use. data is
// not copied: leave it unchanged afterwards. The error reports an unknown
// message type, or a control message over 125 bytes.
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
	return &PreparedMessage{messageType: messageType, data: data, variants: make(map[preparedKey]*preparedVariant)}, nil
}

// variant returns the encoding for key, building it on first use.
func (pm *PreparedMessage) variant(key preparedKey) *preparedVariant {
	pm.mu.Lock()
	v := pm.variants[key]
	if v == nil {
		v = new(preparedVariant)
		pm.variants[key] = v
	}
	pm.mu.Unlock()
	v.once.Do(func() { v.build(pm, key) })
	return v
}

func (v *preparedVariant) build(pm *PreparedMessage, key preparedKey) {
	v.first = finalBit | byte(pm.messageType)
	v.payload = pm.data
	if key.compressed {
		d := newDeflater(key.level, key.windowBits)
		var compressed bytesWriter
		d.dst = &compressed
		if v.err = d.write(pm.data); v.err == nil {
			v.err = d.endMessage()
		}
		d.release()
		v.first |= rsv1Bit
		v.payload = compressed
	}
	headerSize := frameHeaderSize(len(v.payload), false)
	v.frame = make([]byte, headerSize+len(v.payload))
	putFrameHeader(v.frame[:headerSize], v.first, len(v.payload), false, [maskKeySize]byte{})
	copy(v.frame[headerSize:], v.payload)
	v.payload = v.frame[headerSize:] // the variant keeps one copy of its payload
}

// bytesWriter is an io.Writer that appends to itself.
type bytesWriter []byte

func (b *bytesWriter) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

// WritePreparedMessage sends pm over c.
//
// Like WriteMessage, it may be called from several goroutines at once. A
// server sends a frame encoded once for all connections with the same
// compression options; a client masks each frame with a key of its own, as
// RFC 6455 section 5.3 requires. A connection whose compressor keeps its
// window across messages (context takeover) compresses the message itself,
// since its output depends on what the connection sent before.
func (c *Conn) WritePreparedMessage(pm *PreparedMessage) error {
	if isControlOpcode(byte(pm.messageType)) {
		// Control frames are too small to be worth caching.
		return c.WriteControl(pm.messageType, pm.data, time.Time{})
	}
	var key preparedKey
	if c.shouldCompress(len(pm.data)) {
		if c.compression.writeContextTakeover {
			return c.WriteMessage(pm.messageType, pm.data)
		}
		key = preparedKey{compressed: true, level: int(c.compressionLevel.Load()), windowBits: c.compression.writeWindowBits}
	}
	v := pm.variant(key)
	if v.err != nil {
		return v.err
	}
	c.messageMu.Lock()
	defer c.messageMu.Unlock()
	if !c.isServer {
		return c.writeMessageLocked(v.first, v.payload)
	}
	c.frame.lock(time.Time{})
	defer c.frame.unlock()
	return c.writeLocked(c.writeDeadline.Load(), v.frame, nil)
}

package websocket

import (
	"errors"
	"testing"
)

// TestInflaterFromPoolForgetsItsOutput gives a connection that reads with
// context takeover an inflater another connection decoded with: a first
// message that copies from before its start must still fail with 1007, as
// the connection has no history to copy from.
func TestInflaterFromPoolForgetsItsOutput(t *testing.T) {
	for range 4 { // the pool may drop some under -race
		used := newInflater()
		used.window = make([]byte, maxWindowSize+inflateRoom+inflateSlack)
		used.w = 1000
		inflaterPool.Put(used)
	}
	var b blockWriter
	b.match(minMatchLength, 1) // three bytes copied from one byte back
	b.bits.writeBits(fixedBlockHeader, blockHeaderBits)
	b.writeTokens(&fixedLitLenCode, &fixedDistCode)
	b.bits.writeBits(storedBlockHeader, blockHeaderBits) // the sync flush
	b.bits.alignToByte()
	input := encodeTestFrame(finalBit|rsv1Bit|binaryFrame, b.bits.takeBytes(), true)

	c, _ := newFuzzReadConn(input, true, decodeFuzzReadMode(modeTakeover))
	_, _, err := c.ReadMessage()
	var protocolErr *ProtocolError
	if !errors.As(err, &protocolErr) || protocolErr.Code != CloseInvalidFramePayloadData {
		t.Fatalf("read %v, want a protocol error with code 1007", err)
	}
}

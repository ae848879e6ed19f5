package wsraw

import "crypto/rand"

// emptyFrameSize is the size of a masked frame with no payload: two header
// bytes and the mask key.
const emptyFrameSize = 6

// FragmentedMessage returns the masked frames of one binary message sent in
// n+2 frames (RFC 6455 section 5.4): an empty first frame, n empty
// continuation frames, then a final continuation frame that carries last.
// A server reassembles it into last alone.
func FragmentedMessage(n int, last []byte) []byte {
	var key [4]byte
	rand.Read(key[:])
	out := make([]byte, 0, (n+1)*emptyFrameSize+maxHeaderSize+len(last))
	out = AppendFrame(out, opBinary, nil, key)
	for range n {
		out = AppendFrame(out, opContinuation, nil, key)
	}
	return AppendFrame(out, finalBit|opContinuation, last, key)
}

//go:build purego || !amd64

package websocket

// maskBytes XORs b in place with key, starting at key byte pos (0..3), and
// returns the key position after the last byte (RFC 6455 section 5.3). This
// build has no vector implementation, so it is the portable one.
func maskBytes(key [maskKeySize]byte, pos int, b []byte) int {
	return maskBytesGeneric(key, pos, b)
}

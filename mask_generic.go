//go:build purego || !amd64

package websocket

// maskBytes XORs b in place with key, starting at key byte pos (0..3), and
// returns the key position after the last byte (RFC 6455 section 5.3). This
// build has no vector implementation, so it is the portable one.
func maskBytes(key [maskKeySize]byte, pos int, b []byte) int {
	return maskBytesGeneric(key, pos, b)
}

// maskCopy writes src XORed with key, starting at key byte pos (0..3), to dst
// and returns the key position after the last byte (RFC 6455 section 5.3).
// dst must be at least as long as src and must not overlap it; src is not
// changed. This build has no vector implementation, so it is the portable
// one.
func maskCopy(key [maskKeySize]byte, pos int, dst, src []byte) int {
	return maskCopyGeneric(key, pos, dst, src)
}

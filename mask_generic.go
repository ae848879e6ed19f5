package websocket

// maskBytes masks with the portable implementation.
func maskBytes(key [4]byte, pos int, b []byte) int { return maskBytesGeneric(key, pos, b) }

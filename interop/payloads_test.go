package interop

import (
	"math/rand/v2"
	"strconv"
	"unicode/utf8"
)

// Message payloads of exact sizes, the same on every run.

// textPayload is valid UTF-8 of exactly n bytes: words, many of them with
// letters of two, three and four bytes, so fragment boundaries fall inside
// characters.
func textPayload(n int, seed uint64) []byte {
	words := []string{"alpha", "beta", "δέλτα", "€uro", "naïve", "日本語", "emoji😀", "x", "\u00a0", "line\n"}
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 0, n)
	for {
		w := words[r.IntN(len(words))]
		if len(b)+len(w)+1 > n {
			break
		}
		b = append(b, w...)
		b = append(b, ' ')
	}
	for len(b) < n {
		b = append(b, 'z')
	}
	return b
}

// binaryPayload is n random bytes: deflate cannot shrink them.
func binaryPayload(n int, seed uint64) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// jsonPayload is a JSON array of exactly n bytes (n >= 2; fewer give spaces)
// of event records, as a chat or a feed sends them: it compresses well.
func jsonPayload(n int, seed uint64) []byte {
	if n < 2 {
		return []byte("  "[:n])
	}
	r := rand.New(rand.NewPCG(seed, 2))
	rooms := []string{"lobby", "general", "random", "support"}
	b := append(make([]byte, 0, n), '[')
	for i := 0; ; i++ {
		rec := `{"id":` + strconv.Itoa(1000+i) + `,"user":"user-` + strconv.Itoa(r.IntN(50)) +
			`","room":"` + rooms[r.IntN(len(rooms))] + `","type":"message","text":"hello, world"}`
		if i > 0 {
			rec = "," + rec
		}
		if len(b)+len(rec)+1 > n {
			break
		}
		b = append(b, rec...)
	}
	for len(b) < n-1 {
		b = append(b, ' ')
	}
	return append(b, ']')
}

// splitParts cuts p into parts of the given sizes (the rest goes last). When
// keepRunes is set, a cut inside a UTF-8 sequence moves to its start.
func splitParts(p []byte, sizes []int, keepRunes bool) [][]byte {
	var parts [][]byte
	for _, size := range sizes {
		size = min(size, len(p))
		for keepRunes && size > 0 && size < len(p) && !utf8.RuneStart(p[size]) {
			size--
		}
		parts = append(parts, p[:size])
		p = p[size:]
	}
	return append(parts, p)
}

package websocket

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// TestHuffmanDecoderInit checks which codes the decoder accepts: those
// compress/flate accepts (complete codes, a single one-bit code, no code at
// all) and no other.
func TestHuffmanDecoderInit(t *testing.T) {
	tests := []struct {
		name    string
		lengths []uint8
		valid   bool
	}{
		{"complete", []uint8{2, 2, 2, 3, 3}, true},
		{"fixed literal code", fixedLitLenCode.lengths[:], true},
		{"lengths up to 15", []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15}, true},
		{"one code of one bit", []uint8{0, 1, 0}, true},
		{"no code", []uint8{0, 0, 0}, true},
		{"one code of two bits", []uint8{2, 0}, false},
		{"incomplete", []uint8{1, 2, 3}, false},
		{"over-subscribed", []uint8{1, 1, 1}, false},
		{"over-subscribed long", []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15, 15}, false},
	}
	for _, tt := range tests {
		h := huffmanDecoder{entries: make([]uint32, litLenTableSize)}
		if got := h.init(tt.lengths, litLenRootBits); got != tt.valid {
			t.Errorf("%s: init returned %v, want %v", tt.name, got, tt.valid)
		}
	}
}

// TestHuffmanDecoderSymbols encodes symbols with codes the encoder builds,
// some with codes longer than the first lookup, and decodes them.
func TestHuffmanDecoderSymbols(t *testing.T) {
	fibonacci := make([]uint32, numLitLenSymbols)
	a, b := uint32(1), uint32(1)
	for i := range 40 { // lengths up to the 15-bit limit
		fibonacci[i] = a
		a, b = b, a+b
	}
	uniform := make([]uint32, numDistSymbols)
	for i := range uniform {
		uniform[i] = 1
	}
	for _, tt := range []struct {
		name string
		freq []uint32
		root uint
	}{
		{"literals, fibonacci", fibonacci, litLenRootBits},
		{"distances, fibonacci", fibonacci[:numDistSymbols], distRootBits},
		{"distances, uniform", uniform, distRootBits},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var code huffmanCode
			var builder huffmanBuilder
			builder.build(&code, tt.freq, maxCodeBits)
			var symbols []int
			for symbol, f := range tt.freq {
				if f > 0 {
					symbols = append(symbols, symbol, symbol)
				}
			}
			var w bitWriter
			for _, symbol := range symbols {
				w.writeCode(&code, symbol)
			}
			w.alignToByte()
			inf := newInflater()
			inf.src.buf = [len(inf.src.buf)]byte{}
			inf.src.r, inf.src.w = 0, copy(inf.src.buf[:], w.takeBytes())
			inf.src.tailSent, inf.src.rawDone = true, true
			h := huffmanDecoder{entries: make([]uint32, litLenTableSize)}
			if !h.init(code.lengths[:len(tt.freq)], tt.root) {
				t.Fatal("the decoder rejects the code")
			}
			for i, want := range symbols {
				got, err := inf.symbol(&h)
				if err != nil || got != want {
					t.Fatalf("symbol %d: got %d, %v; want %d", i, got, err, want)
				}
			}
		})
	}
}

// TestInflaterRoundTrip sends the deflater's inputs from a client to a
// server at each level under context takeover, through the decoder's every
// path: stored blocks (random data), fixed and dynamic blocks, matches that
// overlap their output (runs), window slides (70 KB messages).
func TestInflaterRoundTrip(t *testing.T) {
	params := deflateParams{writeContextTakeover: true, readContextTakeover: true, writeWindowBits: maxWindowBits, readWindowBits: maxWindowBits, threshold: 0}
	for _, level := range deflaterLevels {
		t.Run(fmt.Sprintf("level %d", level), func(t *testing.T) {
			out := &countingStream{}
			client := newConn(out, false, nil, 0, 0, nil)
			client.setCompression(&params)
			if err := client.SetCompressionLevel(level); err != nil {
				t.Fatal(err)
			}
			inputs := deflaterInputs()
			for _, in := range inputs {
				if err := client.WriteMessage(BinaryMessage, in.data); err != nil {
					t.Fatal(err)
				}
			}
			server := newConn(&onceConn{stream: out.data}, true, nil, 0, 0, nil)
			server.setCompression(&params)
			for _, in := range inputs {
				_, r, err := server.NextReader()
				if err != nil {
					t.Fatalf("%s: %v", in.name, err)
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, in.data) {
					t.Fatalf("%s: read %d bytes, %v; want the %d sent", in.name, len(got), err, len(in.data))
				}
			}
		})
	}
}

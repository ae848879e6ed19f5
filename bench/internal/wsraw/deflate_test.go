package wsraw

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"strings"
	"testing"
)

// serverMessage is what a server would send: p compressed by w, flushed,
// the sync marker cut off.
func serverMessage(t *testing.T, w *flate.Writer, buf *bytes.Buffer, p []byte) Message {
	t.Helper()
	buf.Reset()
	if _, err := w.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	payload, ok := bytes.CutSuffix(buf.Bytes(), syncTail)
	if !ok {
		t.Fatal("no sync marker")
	}
	return Message{Payload: bytes.Clone(payload), Opcode: opText, Compressed: true}
}

func TestCompressedFrameInflates(t *testing.T) {
	msg := []byte(strings.Repeat(`{"type":"trade","price":101.25},`, 100))
	frame, err := CompressedFrame(msg, flate.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	if frame[0] != finalBit|rsv1Bit|opText {
		t.Fatalf("first byte %#x, want FIN, RSV1 and text", frame[0])
	}
	if frame[1]&maskBit == 0 {
		t.Fatal("the client's frame is not masked")
	}
	n := int(frame[1] &^ maskBit)
	header := 2
	if n == 126 {
		n, header = int(binary.BigEndian.Uint16(frame[2:])), 4
	}
	key := frame[header : header+4]
	payload := bytes.Clone(frame[header+4:])
	if len(payload) != n {
		t.Fatalf("payload of %d bytes, header says %d", len(payload), n)
	}
	for i := range payload {
		payload[i] ^= key[i&3]
	}
	got, err := NewInflater(false).Inflate(Message{Payload: payload, Compressed: true}, len(msg))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("inflated %q", got)
	}
}

func TestInflaterUnderTakeover(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	sentence := "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. "
	msgs := [][]byte{[]byte(sentence), []byte(strings.ToUpper(sentence) + sentence), []byte(sentence + sentence)}
	f := NewInflater(true)
	for i, m := range msgs {
		got, err := f.Inflate(serverMessage(t, w, &buf, m), len(m))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(got, m) {
			t.Fatalf("message %d: %q, want %q", i, got, m)
		}
	}
	// Messages that refer to the ones before do not inflate on their own.
	w.Reset(&buf)
	serverMessage(t, w, &buf, msgs[0])
	second := serverMessage(t, w, &buf, msgs[0])
	if got, err := NewInflater(false).Inflate(second, len(msgs[0])); err == nil && bytes.Equal(got, msgs[0]) {
		t.Fatal("a message compressed against the one before inflated without it")
	}
}

func TestCheckDeflate(t *testing.T) {
	tests := []struct {
		response string
		takeover bool
		ok       bool
	}{
		{"permessage-deflate; server_no_context_takeover; client_no_context_takeover", false, true},
		{"permessage-deflate; client_no_context_takeover", true, true},
		{"permessage-deflate; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15", true, true},
		{"permessage-deflate; client_max_window_bits=12", false, false},
		{"", false, false},
		{"x-webkit-deflate-frame", false, false},
		{"permessage-deflate, permessage-deflate", false, false},
	}
	for _, tt := range tests {
		takeover, err := (&Conn{extensions: tt.response}).CheckDeflate()
		if (err == nil) != tt.ok || (tt.ok && takeover != tt.takeover) {
			t.Errorf("%q: takeover %v, error %v; want takeover %v, ok %v", tt.response, takeover, err, tt.takeover, tt.ok)
		}
	}
}

func TestFragmentedMessage(t *testing.T) {
	last := []byte("end")
	b := FragmentedMessage(3, last)
	if want := 5*emptyFrameSize + len(last); len(b) != want {
		t.Fatalf("%d bytes, want %d", len(b), want)
	}
	firsts := []byte{opBinary, opContinuation, opContinuation, opContinuation, finalBit | opContinuation}
	for i, first := range firsts {
		if b[0] != first || b[1]&maskBit == 0 {
			t.Fatalf("frame %d: header %#x %#x, want %#x and the mask bit", i, b[0], b[1], first)
		}
		n := int(b[1] &^ maskBit)
		if i < len(firsts)-1 && n != 0 {
			t.Fatalf("frame %d: %d payload bytes, want none", i, n)
		}
		if i == len(firsts)-1 {
			key := b[2:6]
			got := bytes.Clone(b[6 : 6+n])
			for j := range got {
				got[j] ^= key[j&3]
			}
			if !bytes.Equal(got, last) {
				t.Fatalf("final frame carries %q", got)
			}
		}
		b = b[emptyFrameSize+n:]
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes after the final frame", len(b))
	}
}

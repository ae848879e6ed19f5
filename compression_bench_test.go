package websocket

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"testing"
	"time"
)

// Benchmarks of permessage-deflate: throughput and wire ratio of a realistic
// 16 KiB JSON message and of a stream of 200-byte JSON messages, and memory
// per connection, for each compression mode.

// compressionBenchModes are the modes of issue 4's table.
var compressionBenchModes = []struct {
	name   string
	params deflateParams
}{
	{"no_context_takeover", deflateParams{writeWindowBits: 15, readWindowBits: 15}},
	{"context_takeover", deflateParams{writeContextTakeover: true, readContextTakeover: true, writeWindowBits: 15, readWindowBits: 15}},
	{"read_takeover_only", deflateParams{readContextTakeover: true, writeWindowBits: 15, readWindowBits: 15}},
	{"takeover_window_bits_9", deflateParams{writeContextTakeover: true, readContextTakeover: true, writeWindowBits: 9, readWindowBits: 9}},
	{"no_takeover_window_bits_9", deflateParams{writeWindowBits: 9, readWindowBits: 9}},
}

// jsonEvent is the record the benchmark messages are made of.
type jsonEvent struct {
	ID        int       `json:"id"`
	Type      string    `json:"type"`
	User      string    `json:"user"`
	Email     string    `json:"email"`
	Room      string    `json:"room"`
	Text      string    `json:"text"`
	Tags      []string  `json:"tags"`
	Score     float64   `json:"score"`
	CreatedAt time.Time `json:"created_at"`
}

var benchWords = []string{"alpha", "build", "deploy", "green", "merge", "review", "socket", "frame", "window", "ticket", "queue", "cache"}

// benchJSON returns a JSON message of about size bytes: an array of events
// with repeated keys and varied values, like an API or chat payload.
func benchJSON(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var events []jsonEvent
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for {
		n := len(events)
		text := ""
		for w := 0; w < 3+r.IntN(8); w++ {
			text += benchWords[r.IntN(len(benchWords))] + " "
		}
		events = append(events, jsonEvent{
			ID: 10000 + n, Type: []string{"message", "join", "leave"}[r.IntN(3)],
			User: fmt.Sprintf("user%d", r.IntN(50)), Email: fmt.Sprintf("user%d@example.com", r.IntN(50)),
			Room: fmt.Sprintf("room-%d", r.IntN(5)), Text: text,
			Tags:  []string{benchWords[r.IntN(len(benchWords))], benchWords[r.IntN(len(benchWords))]},
			Score: float64(r.IntN(10000)) / 100, CreatedAt: start.Add(time.Duration(r.IntN(1e6)) * time.Second),
		})
		p, _ := json.Marshal(events)
		if len(p) >= size {
			return p
		}
		if size < 400 {
			// A single small event: trim its text to the size.
			p, _ = json.Marshal(events[0])
			if len(p) >= size {
				return p
			}
		}
	}
}

// countingConn discards writes and counts their bytes.
type countingConn struct {
	discardConn
	bytes int64
}

func (c *countingConn) Write(p []byte) (int, error) { c.bytes += int64(len(p)); return len(p), nil }

var benchMessages = []struct {
	name  string
	size  int
	count int // distinct messages cycled through
}{{"json_16KiB", 16 << 10, 8}, {"json_200B_stream", 200, 256}}

// BenchmarkCompressedWrite measures a server compressing and writing
// messages; wire-ratio is bytes on the wire over message bytes.
func BenchmarkCompressedWrite(b *testing.B) {
	for _, mode := range compressionBenchModes {
		for _, msg := range benchMessages {
			b.Run(mode.name+"/"+msg.name, func(b *testing.B) {
				messages := make([][]byte, msg.count)
				var total int64
				for i := range messages {
					messages[i] = benchJSON(msg.size, uint64(i))
					total += int64(len(messages[i]))
				}
				conn := &countingConn{}
				c := newConn(conn, true, nil, 0, 0, nil)
				params := mode.params
				c.setCompression(&params)
				b.SetBytes(total / int64(len(messages)))
				b.ReportAllocs()
				var in int64
				i := 0
				for b.Loop() {
					m := messages[i%len(messages)]
					i++
					in += int64(len(m))
					if err := c.WriteMessage(TextMessage, m); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(conn.bytes)/float64(in), "wire-ratio")
			})
		}
	}
}

// BenchmarkCompressedRead measures a server reading compressed messages that
// a client compressed in the same mode.
func BenchmarkCompressedRead(b *testing.B) {
	for _, mode := range compressionBenchModes {
		for _, msg := range benchMessages {
			b.Run(mode.name+"/"+msg.name, func(b *testing.B) {
				// Encode a stream of messages as a client would; the reader
				// restarts on a fresh connection at the end of the stream,
				// since context takeover ties each message to those before.
				out := &countingStream{}
				client := newConn(out, false, nil, 0, 0, nil)
				clientParams := mode.params
				client.setCompression(&clientParams)
				var total int64
				for i := range msg.count {
					m := benchJSON(msg.size, uint64(i))
					total += int64(len(m))
					client.WriteMessage(TextMessage, m)
				}
				stream := out.data
				buf := make([]byte, 32<<10)
				var c *Conn
				read := 0
				b.SetBytes(total / int64(msg.count))
				b.ReportAllocs()
				for b.Loop() {
					if read%msg.count == 0 {
						c = newConn(&onceConn{stream: stream}, true, nil, 0, 0, nil)
						params := mode.params
						c.setCompression(&params)
					}
					read++
					if err := readOneMessage(c, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// countingStream keeps what is written to it.
type countingStream struct {
	discardConn
	data []byte
}

func (c *countingStream) Write(p []byte) (int, error) {
	c.data = append(c.data, p...)
	return len(p), nil
}

// onceConn reads a stream once.
type onceConn struct {
	net.Conn
	stream []byte
}

func (c *onceConn) Read(p []byte) (int, error) {
	n := copy(p, c.stream)
	c.stream = c.stream[n:]
	return n, nil
}

// BenchmarkCompressionMemoryPerConn reports the heap a server connection
// holds after reading a message and writing one, in each mode, beside a
// connection without compression: the cost of context takeover.
func BenchmarkCompressionMemoryPerConn(b *testing.B) {
	modes := append([]struct {
		name   string
		params deflateParams
	}{{"uncompressed", deflateParams{}}}, compressionBenchModes...)
	message := benchJSON(2<<10, 1)
	for _, mode := range modes {
		conns := 1000
		if mode.params.writeContextTakeover {
			conns = 100 // over 1 MiB each
		}
		b.Run(mode.name, func(b *testing.B) {
			// What a client sends, encoded once.
			out := &countingStream{}
			client := newConn(out, false, nil, 0, 0, nil)
			if mode.name != "uncompressed" {
				params := mode.params
				client.setCompression(&params)
			}
			client.WriteMessage(TextMessage, message)
			buf := make([]byte, 4096)

			var perConn float64
			for b.Loop() {
				servers := make([]*Conn, conns)
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for i := range servers {
					c := newConn(&onceConn{stream: out.data}, true, nil, 0, 0, nil)
					if mode.name != "uncompressed" {
						params := mode.params
						c.setCompression(&params)
					}
					if err := readOneMessage(c, buf); err != nil {
						b.Fatal(err)
					}
					c.conn = &discardConn{}
					if err := c.WriteMessage(TextMessage, message); err != nil {
						b.Fatal(err)
					}
					servers[i] = c
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perConn = float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(conns)
				runtime.KeepAlive(servers)
			}
			b.ReportMetric(perConn, "heap-bytes/conn")
		})
	}
}

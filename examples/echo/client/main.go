// Command client talks to the echo example: it sends a line every second and
// prints what comes back, until interrupted.
//
//	go run ./examples/echo/client -addr 127.0.0.1:8080
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/iris-contrib/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address of the echo server")
	count := flag.Int("n", 0, "messages to send before closing; 0 means until interrupted")
	flag.Parse()

	c, _, err := websocket.DefaultDialer.Dial("ws://"+*addr+"/echo", nil)
	if err != nil {
		log.Fatal("dial: ", err)
	}
	defer c.Close()

	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, p, err := c.ReadMessage()
			if err != nil {
				if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
					log.Println("read:", err)
				}
				return
			}
			log.Printf("received: %s", p)
		}
	}()

	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for sent := 0; *count == 0 || sent < *count; sent++ {
		select {
		case <-done:
			return
		case <-interrupt:
			closeGracefully(c, done)
			return
		case t := <-ticker.C:
			if err := c.WriteMessage(websocket.TextMessage, []byte(t.Format(time.TimeOnly))); err != nil {
				log.Println("write:", err)
				return
			}
		}
	}
	closeGracefully(c, done)
}

// closeGracefully starts the close handshake and waits, at most a second, for
// the reader to see the server's answer.
func closeGracefully(c *websocket.Conn, done <-chan struct{}) {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		log.Println("close:", err)
		return
	}
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

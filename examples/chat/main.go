// Command chat is an iris chat server with rooms: go run ./examples/chat,
// then open http://127.0.0.1:8080 in two browser windows and join the same
// room.
//
// Messages go to every member of a room encoded once (a PreparedMessage),
// compressed with permessage-deflate when the browser offers it. Each client
// gets a ping every 30 seconds and is disconnected when it stops answering;
// a client that reads too slowly is dropped instead of slowing the room.
package main

import (
	"flag"
	"log"

	"github.com/iris-contrib/websocket/examples/chat/chatapp"
	"github.com/kataras/iris/v12"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	app := chatapp.NewApp(chatapp.Options{})
	log.Printf("chat server: open http://%s in a browser", *addr)
	if err := app.Listen(*addr, iris.WithoutStartupLog); err != nil {
		log.Fatal(err)
	}
}

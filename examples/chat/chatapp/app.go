// Package chatapp is the iris application of the chat example: a page at /
// and a WebSocket endpoint at /ws?room=NAME&name=NAME. Everyone in a room
// sees who joins and leaves and every message sent to the room.
//
// It is a package of its own, rather than part of the command, so that tests
// in other modules (the browser tests of interop/) can start the same app.
package chatapp

import (
	_ "embed"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/iris-contrib/websocket"
	"github.com/kataras/iris/v12"
)

//go:embed index.html
var indexPage []byte

// Defaults of Options.
const (
	DefaultPingInterval = 30 * time.Second
	DefaultPongWait     = 10 * time.Second
	DefaultWriteWait    = 10 * time.Second
	DefaultSendQueue    = 64
)

const (
	// MaxMessageSize is the largest message a client may send, in bytes.
	MaxMessageSize = 256 << 10
	// maxNameLength bounds room and user names, in characters.
	maxNameLength = 32
)

// Options tune the keepalive and the handling of slow clients. A zero field
// takes its default.
type Options struct {
	// PingInterval is the time between two pings to each client
	// (websocket.Conn.KeepAlive).
	PingInterval time.Duration
	// PongWait is how long the server waits for the pong of a ping before
	// it gives up on a client.
	PongWait time.Duration
	// WriteWait bounds each write to a client.
	WriteWait time.Duration
	// SendQueue is how many messages may wait for a client. When a message
	// finds the queue full, the client is too slow for the room: it is closed
	// with 1008 (policy violation) instead of holding the others back.
	SendQueue int
}

func (o Options) withDefaults() Options {
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PongWait <= 0 {
		o.PongWait = DefaultPongWait
	}
	if o.WriteWait <= 0 {
		o.WriteWait = DefaultWriteWait
	}
	if o.SendQueue <= 0 {
		o.SendQueue = DefaultSendQueue
	}
	return o
}

// NewApp returns the chat application: the page at / and the WebSocket
// endpoint at /ws, which takes the room and the user's name from the query
// (/ws?room=lobby&name=ann) and negotiates permessage-deflate when the client
// offers it.
func NewApp(opts Options) *iris.Application {
	opts = opts.withDefaults()
	h := &hub{rooms: make(map[string]*room)}
	// One Server for the endpoint. The page and the socket share an origin,
	// so the default origin check stays on: other sites cannot open a chat
	// in their visitors' names.
	srv := websocket.New(func(conn *websocket.Conn) {
		values := conn.IrisContext().Values()
		serveClient(h, opts, conn, values.GetString(roomKey), values.GetString(nameKey))
	})
	srv.EnableCompression = true

	app := iris.New()
	app.Get("/", func(ctx iris.Context) {
		ctx.ContentType("text/html; charset=utf-8")
		ctx.Write(indexPage)
	})
	app.Get("/ws", checkNames, srv.Serve)
	return app
}

// Keys of the context values that checkNames sets for the Handler.
const (
	roomKey = "chat.room"
	nameKey = "chat.name"
)

// checkNames answers 400 to a request without a valid room and user name,
// and passes them on to the Handler as context values.
func checkNames(ctx iris.Context) {
	roomName := strings.TrimSpace(ctx.URLParam("room"))
	name := strings.TrimSpace(ctx.URLParam("name"))
	if !validName(roomName) || !validName(name) {
		ctx.StopWithText(http.StatusBadRequest, "room and name must be 1 to 32 printable characters")
		return
	}
	ctx.Values().Set(roomKey, roomName)
	ctx.Values().Set(nameKey, name)
	ctx.Next()
}

// validName accepts 1 to maxNameLength printable characters.
func validName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > maxNameLength {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

package main

import (
	"github.com/iris-contrib/websocket"
	"github.com/iris-contrib/websocket/autobahn/internal/echo"
)

// endpoint is one echo endpoint of the server, run by the suite as an agent
// of its own.
type endpoint struct {
	path        string
	agent       string // the name the suite's report gives the endpoint
	description string
	echo        echo.Func
	// viaIris serves the endpoint with a websocket.Server inside an iris
	// application instead of a websocket.Upgrader in a net/http handler.
	viaIris bool
	// compression tunes permessage-deflate, which every endpoint enables.
	compression                     *websocket.CompressionOptions
	readBufferSize, writeBufferSize int
}

// endpoints are the server's echo endpoints. Between them they cover each
// way of reading and writing a message and each shape of permessage-deflate:
// pooled compressors without context takeover (the default), context
// takeover in both directions, windows smaller than 32 KiB, and prepared
// messages both shared and compressed per connection.
var endpoints = []endpoint{
	{
		path:        "/message",
		agent:       "iris-contrib-message",
		description: "ReadMessage and WriteMessage behind the net/http Upgrader; default compression: no context takeover, compressors from pools, messages under 128 bytes sent uncompressed",
		echo:        echo.Message,
	},
	{
		path:        "/message-takeover",
		agent:       "iris-contrib-message-takeover",
		description: "ReadMessage and WriteMessage behind the net/http Upgrader; context takeover in both directions where the client allows it, every message compressed",
		echo:        echo.Message,
		compression: &websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true, Threshold: -1},
	},
	{
		path:        "/stream",
		agent:       "iris-contrib-stream",
		description: "NextReader copied into NextWriter behind the net/http Upgrader, with 1 KiB buffers so long messages go back in many frames; context takeover in both directions",
		echo:        echo.Stream,
		compression: &websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true},
		// Small buffers: the reader crosses buffer boundaries inside frame
		// headers and the writer sends a frame every KiB.
		readBufferSize:  1024,
		writeBufferSize: 1024,
	},
	{
		path:        "/prepared",
		agent:       "iris-contrib-prepared",
		description: "ReadMessage, then WritePreparedMessage behind the net/http Upgrader; server context takeover unless the client asks for server_no_context_takeover: with it each message goes out as the prepared frame compressed once, without it the message is compressed on its connection",
		echo:        echo.Prepared,
		compression: &websocket.CompressionOptions{ServerContextTakeover: true},
	},
	{
		path:        "/readall",
		agent:       "iris-contrib-readall",
		description: "NextReader read whole with io.ReadAll, then WriteMessage behind the net/http Upgrader; context takeover and windows of 1 KiB (max_window_bits 10) in both directions",
		echo:        echo.ReadAll,
		compression: &websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 10},
	},
	{
		path:        "/iris",
		agent:       "iris-contrib-iris",
		description: "ReadMessage and WriteMessage inside a websocket.Server, an iris.Handler of an iris application; context takeover in both directions",
		echo:        echo.Message,
		viaIris:     true,
		compression: &websocket.CompressionOptions{ServerContextTakeover: true, ClientContextTakeover: true},
	},
}

// Package interop holds tests that run the websocket library against peers
// nobody on this project wrote: Node's ws package and Python's websockets.
// The tests start the peers as child processes on 127.0.0.1 and skip, with
// the install command, only when a peer is missing on the machine.
package interop

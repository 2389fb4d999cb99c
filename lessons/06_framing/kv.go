package framing

// ANCHOR: protocol

// Store is the data of the key-value protocol: a map from keys to values
// that many goroutines (one per client connection) use at once. Make one
// with NewStore.
//
// The protocol: every request is one frame (see WriteFrame) and gets
// exactly one reply frame, in the order the requests came. A request is
// text: a command word in capitals, then its arguments, each after one
// space (0x20). A key is one or more bytes, none of them a space. A value
// is everything after the space that follows the key: any bytes, spaces,
// CRLF and zero bytes included, possibly none; the frame's length says
// where it ends.
//
//	request             reply
//	SET <key> <value>   OK                   (stores value under key)
//	GET <key>           VALUE <value>        (the stored value; "VALUE " if it is empty)
//	                    NOTFOUND             (no such key)
//	DEL <key>           OK                   (the key existed and is gone)
//	                    NOTFOUND             (no such key)
//	anything else       ERR <reason>         (nothing changes)
//
// "Anything else" is an empty request, an unknown or lower-case command
// ("get k"), a missing or empty key ("GET", "GET ", "SET k"), or a GET or
// DEL key with a space in it ("GET a b"). <reason> is a short text for
// humans.
type Store struct {
	// TODO: a map from keys to values, and a sync.Mutex that guards it.
}

// ANCHOR_END: protocol

// NewStore returns an empty Store.
func NewStore() *Store {
	// TODO: make the map.
	return &Store{}
}

// ANCHOR: handle

// Handle runs one request of the protocol (the payload of one frame) on
// the store and returns the reply (the payload of one frame). It needs no
// connection, so any transport can use it: ServeKV's goroutines, or an
// event loop. Handle is safe for concurrent use.
//
// Handle does not keep req: the caller may reuse its buffer for the next
// request, so a value is copied before it is stored. The reply is a new
// slice that the caller may keep or change.
func (s *Store) Handle(req []byte) []byte {
	// TODO: split the command word from its arguments (bytes.Cut at a
	// space), switch on it, and build the reply. Lock the mutex around
	// every use of the map, and store a copy of the value (bytes.Clone).
	return nil
}

// ANCHOR_END: handle

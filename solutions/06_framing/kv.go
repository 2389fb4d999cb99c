package framing

import (
	"bytes"
	"sync"
)

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
	mu   sync.Mutex // guards data: every connection's goroutine calls Handle
	data map[string][]byte
}

// ANCHOR_END: protocol

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{data: make(map[string][]byte)}
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
	if len(req) == 0 {
		return []byte("ERR empty request")
	}
	cmd, args, _ := bytes.Cut(req, []byte(" "))
	switch string(cmd) {
	case "SET":
		key, value, ok := bytes.Cut(args, []byte(" "))
		if !ok || len(key) == 0 {
			return []byte("ERR usage: SET <key> <value>")
		}
		s.set(string(key), bytes.Clone(value)) // a copy: req's buffer is not ours
		return []byte("OK")
	case "GET":
		if !validKey(args) {
			return []byte("ERR usage: GET <key>")
		}
		value, ok := s.get(string(args))
		if !ok {
			return []byte("NOTFOUND")
		}
		return append([]byte("VALUE "), value...) // a new slice, not the stored one
	case "DEL":
		if !validKey(args) {
			return []byte("ERR usage: DEL <key>")
		}
		if !s.del(string(args)) {
			return []byte("NOTFOUND")
		}
		return []byte("OK")
	default:
		return []byte("ERR unknown command")
	}
}

// validKey reports whether k is a key: at least one byte, and no space.
func validKey(k []byte) bool {
	return len(k) > 0 && bytes.IndexByte(k, ' ') < 0
}

// The three operations hold the lock only for the map access: parsing and
// building replies need no lock.

func (s *Store) set(key string, value []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = value
}

func (s *Store) get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok
}

func (s *Store) del(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.data[key]
	delete(s.data, key)
	return ok
}

// ANCHOR_END: handle

package netconn

// This file is given: the address of one end of a Pipe. Your work is in
// deadline.go and pipe.go.
//
//netlings:given

// Network is what an Addr's Network method returns for both ends of a Pipe.
const Network = "pipe"

// Addr names one end of a Pipe. Pipe's first end is Addr("a"), its second
// Addr("b"): the first end's LocalAddr is the second end's RemoteAddr.
type Addr string

// Network returns "pipe".
func (a Addr) Network() string { return Network }

// String returns the name of the end, "a" or "b".
func (a Addr) String() string { return string(a) }

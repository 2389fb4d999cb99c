package tcplife

//netlings:given

import "fmt"

// ANCHOR: kind

// Kind names how a network operation ended, in the terms a program acts on:
// finish the message, retry later, give up on the peer, or stop.
type Kind int

const (
	// Other is any error that is none of the kinds below (and nil).
	Other Kind = iota
	// EOF is the peer's FIN: it has finished sending, cleanly (io.EOF).
	EOF
	// Timeout is a deadline that passed (os.ErrDeadlineExceeded) or any
	// other error that says it timed out: the peer said nothing in time.
	Timeout
	// Reset is a connection the peer broke off: it answered with RST
	// (ECONNRESET), or it is gone and a write found out (EPIPE).
	Reset
	// Refused is a dial that found nobody listening (ECONNREFUSED: the
	// peer's kernel answered the SYN with RST).
	Refused
	// Closed is an operation on a connection or listener that this program
	// closed itself (net.ErrClosed).
	Closed
)

// ANCHOR_END: kind

var kindNames = [...]string{"Other", "EOF", "Timeout", "Reset", "Refused", "Closed"}

// String returns the kind's name, as in the constants: "EOF", "Reset"...
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

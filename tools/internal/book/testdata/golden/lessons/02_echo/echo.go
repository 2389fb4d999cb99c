// Package echo echoes.
package echo

import (
	"io"
	"net"
)

// Server echoes every byte back.
type Server struct {
	ln net.Listener
}

// Serve accepts connections until the listener is closed.
func (s *Server) Serve() error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			// ANCHOR: copy
			defer c.Close()
			// ANCHOR: inner
			io.Copy(c, c)
			// ANCHOR_END: inner
			// ANCHOR_END: copy
		}()
	}
}

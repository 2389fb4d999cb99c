//go:build !linux

package eventloop

//netlings:given

import "net"

// Loop is an epoll event loop. epoll is Linux only: on this system New
// returns ErrNeedsLinux, and the lesson's tests skip.
type Loop struct{}

// New returns ErrNeedsLinux: there is no epoll here.
func New(addr string) (*Loop, error) { return nil, ErrNeedsLinux }

// Addr returns nil: there is no loop here.
func (l *Loop) Addr() net.Addr { return nil }

// Run returns ErrNeedsLinux.
func (l *Loop) Run() error { return ErrNeedsLinux }

// Stop returns ErrNeedsLinux.
func (l *Loop) Stop() error { return ErrNeedsLinux }

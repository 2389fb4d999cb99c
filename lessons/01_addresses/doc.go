// Package addresses is lesson 01 of netlings: IP addresses, ports,
// host:port strings, listening sockets and name resolution.
//
// Read book/01_addresses.md, then make the tests in this folder pass by
// editing classify.go, endpoint.go, listen.go and resolve.go. Run
//
//	make check-lesson N=1
//
// to see how far you are.
//
//netlings:given
package addresses

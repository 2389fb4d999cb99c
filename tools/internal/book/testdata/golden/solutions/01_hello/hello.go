// Package hello greets.
package hello

// ANCHOR: greet
// Greet returns a greeting for name.
func Greet(name string) (string, error) {
	return "hello, " + name, nil
}

// ANCHOR_END: greet

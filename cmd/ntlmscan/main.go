// Command ntlmscan finds which NTLM restriction breaks Quest Rapid Recovery,
// on which host, and what change fixes it.
package main

import (
	"os"

	"github.com/ntlmscan/ntlmscan/cmd/internal/cli"
)

func main() { os.Exit(cli.Main()) }

package main

import (
	"os"

	"github.com/ntlmscan/ntlmscan/cmd/internal/cli"
)

func main() { os.Exit(cli.Main()) }

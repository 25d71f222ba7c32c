package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// settingsViper layers one command's settings in viper: its flags (those
// given on the command line), the NTLMSCAN_* environment, the settings file
// (already checked strictly by parseSettings, so every key is a flag and
// every value has its line) and the flags' defaults. Viper ranks them flags >
// environment > file > defaults. The environment comes from the Factory,
// never the process: it enters as viper overrides, only for flags not given
// on the command line, which keeps flags first. where names a key's
// source for messages: "flag", the variable, "file:line: key" or "default".
func settingsViper(cmd *cobra.Command, f *Factory, file *settingsFile) (v *viper.Viper, where func(key string) string) {
	v = viper.New()
	from := map[string]string{}
	fileValues := map[string]any{}
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "config" || fl.Name == "help" {
			return
		}
		v.SetDefault(fl.Name, fl.DefValue)
		from[fl.Name] = "default"
		if file != nil {
			if s, ok := file.lookup(cmd.Name(), fl.Name); ok {
				fileValues[fl.Name] = s.value
				from[fl.Name] = fmt.Sprintf("%s:%d: %s", file.path, s.line, s.key)
			}
		}
		if fl.Changed {
			_ = v.BindPFlag(fl.Name, fl) // cannot fail: fl is not nil
			from[fl.Name] = "flag"
			return
		}
		if val := f.Getenv(envName(fl.Name)); val != "" {
			v.Set(fl.Name, val)
			from[fl.Name] = envName(fl.Name)
		}
	})
	_ = v.MergeConfigMap(fileValues) // a map of strings: cannot fail
	return v, func(key string) string { return from[strings.ToLower(key)] }
}

// envName is the NTLMSCAN_* variable of a flag: --host-timeout →
// NTLMSCAN_HOST_TIMEOUT.
func envName(flag string) string {
	return "NTLMSCAN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

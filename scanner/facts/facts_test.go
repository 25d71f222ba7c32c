package facts

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"minimal", `{"schema":3,"identity":{"netbiosName":"A","dnsHostName":"a","domain":"x","partOfDomain":false,"domainRole":2,"osCaption":"","osVersion":"","osBuild":0},"registry":[]}`, ""},
		{"other schema", `{"schema":1,"identity":{},"registry":[]}`, "schema 1"},
		{"timings", `{"schema":3,"identity":{},"registry":[],"timings":{"identityMs":12,"registryMs":3,"servicesMs":40,"smbClientMs":7,"rsopMs":9,"probesMs":3001,"eventsMs":25,"totalMs":3095}}`, ""},
		{"unknown timing", `{"schema":3,"identity":{},"registry":[],"timings":{"coffeeMs":1}}`, "unknown field"},
		{"unknown field", `{"schema":3,"identity":{},"registry":[],"extra":1}`, "unknown field"},
		{"trailing data", `{"schema":3,"identity":{},"registry":[]} {}`, "trailing"},
		{"registry without name", `{"schema":3,"identity":{},"registry":[{"key":"HKLM\\X","name":"","present":false}]}`, "no key or name"},
		{"not JSON", `<Objs>`, "invalid character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse([]byte(tc.doc))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	var se *SchemaError
	if _, err := DecodeResponse([]byte(`{"schema":7,"identity":{},"registry":[]}`)); !errors.As(err, &se) || se.Got != 7 {
		t.Fatalf("want *SchemaError for schema 7, got %v", err)
	}
}

func TestLookupsDistinguishAbsentFromZero(t *testing.T) {
	zero := uint64(0)
	r := &Response{Registry: []RegistryValue{
		{RegistryKey: RegistryKey{Key: KeyMSV10, Name: "RestrictSendingNTLMTraffic"}, Present: true, Type: RegDWORD, DWORD: &zero},
		{RegistryKey: RegistryKey{Key: KeyMSV10, Name: "RestrictReceivingNTLMTraffic"}, Present: false},
		{RegistryKey: RegistryKey{Key: KeyMSV10, Name: "ClientAllowedNTLMServers"}, Present: true, Type: RegMultiSZ, Strings: []string{"a", "b"}},
	}}
	send := SettingByID(RestrictSendingNTLMTraffic).Lookup(r)
	if v, ok := send.Uint(); !ok || v != 0 {
		t.Fatalf("present 0: got %d %v", v, ok)
	}
	recv := SettingByID(RestrictReceivingNTLMTraffic).Lookup(r)
	if recv == nil {
		t.Fatal("asked-for absent value not found")
	}
	if _, ok := recv.Uint(); ok {
		t.Fatal("absent value reported as a number")
	}
	// Lookups are case-insensitive, as the registry is.
	list, ok := r.Value(strings.ToLower(KeyMSV10), "clientallowedntlmservers").List()
	if !ok || len(list) != 2 {
		t.Fatalf("list: %v %v", list, ok)
	}
	if SettingByID(LmCompatibilityLevel).Lookup(r) != nil {
		t.Fatal("a value never asked for must be nil, not absent")
	}
}

func TestSettingsCatalogueIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		key := strings.ToLower(s.Key + `\` + s.Name)
		if seen[key] {
			t.Errorf("registry value %s listed twice", key)
		}
		seen[key] = true
		if s.Type != RegDWORD && s.Type != RegMultiSZ {
			t.Errorf("%s: type %q", s.ID, s.Type)
		}
		if !strings.HasPrefix(s.Key, `HKLM\`) || s.GPOName == "" || s.GPOPath == "" {
			t.Errorf("%s: incomplete entry %+v", s.ID, s)
		}
	}
}

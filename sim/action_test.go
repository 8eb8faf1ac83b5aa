package sim

import (
	"encoding/json"
	"testing"
)

// TestActionJSONSaysOff: a power-off or an off command carries "on":false,
// so a log, an event stream or an API echo does not read as a switch-on;
// other kinds leave on out, and every form reads back as it was.
func TestActionJSONSaysOff(t *testing.T) {
	for _, tc := range []struct {
		act  Action
		want string
	}{
		{Action{Kind: ActPower, Device: "plc"}, `{"kind":"power","device":"plc","on":false}`},
		{Action{Kind: ActPower, Device: "plc", On: true}, `{"kind":"power","device":"plc","on":true}`},
		{Action{At: 7, Kind: ActCommand, Device: "fan"}, `{"at":7,"kind":"command","device":"fan","on":false}`},
		{Action{Kind: ActCut, Link: "internet"}, `{"kind":"cut","link":"internet"}`},
		{Action{Kind: ActReading, Device: "b", Readings: []Reading{{"temp", 21.5}}}, `{"kind":"reading","device":"b","readings":[{"name":"temp","value":21.5}]}`},
	} {
		got, err := json.Marshal(tc.act)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%+v encodes as %s, want %s", tc.act, got, tc.want)
		}
		var back Action
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%s does not read back: %v", got, err)
		}
		if again, _ := json.Marshal(back); string(again) != string(got) {
			t.Errorf("%s reads back as %s", got, again)
		}
	}
}

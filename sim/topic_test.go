package sim

import "testing"

func TestTopics(t *testing.T) {
	if got := Topic("r00m1234", "fan", TopicSet); got != "thingyard/r00m1234/fan/set" {
		t.Errorf("Topic = %q", got)
	}
	space, dev, leaf, ok := SplitTopic("thingyard/iot/meter/power")
	if !ok || space != "iot" || dev != "meter" || leaf != "power" {
		t.Errorf("SplitTopic = %q %q %q %v", space, dev, leaf, ok)
	}
	for _, bad := range []string{"thingyard/iot/meter", "thingyard/iot/meter/power/x", "other/iot/meter/set", "thingyard//meter/set", "thingyard/iot/meter/"} {
		if _, _, _, ok := SplitTopic(bad); ok {
			t.Errorf("SplitTopic(%q) accepts it", bad)
		}
	}
}

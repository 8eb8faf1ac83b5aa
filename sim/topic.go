package sim

import "strings"

// The MQTT topics Thingyard speaks, inside a world and on the server's
// broker alike: thingyard/{space}/{device}/{leaf}. Inside a world space is
// the device's side; on the server's broker it is the room's id. Leaf is
// what is published (a metric, "on", "online") or TopicSet, where a device
// takes commands.
const (
	TopicPrefix = "thingyard"
	TopicSet    = "set"
)

// SpaceTopic is the topic prefix of every device of space.
func SpaceTopic(space string) string { return TopicPrefix + "/" + space }

// DeviceTopic is the topic prefix of a device of space.
func DeviceTopic(space, device string) string { return SpaceTopic(space) + "/" + device }

// Topic is a device's topic for leaf.
func Topic(space, device, leaf string) string { return DeviceTopic(space, device) + "/" + leaf }

// SplitTopic reads thingyard/{space}/{device}/{leaf}, every level named.
func SplitTopic(topic string) (space, device, leaf string, ok bool) {
	parts := strings.Split(topic, "/")
	if len(parts) != 4 || parts[0] != TopicPrefix || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}

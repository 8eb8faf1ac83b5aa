package sim

// Demo is a small world that shows both sides at once: an M2M cell, where a
// PLC polls two temperature sensors and a valve on one RS-485 bus and
// decides on the spot, beside an IoT home, where Zigbee sensors report
// through a gateway and the internet to a cloud broker that decides and
// tells a phone. It is written in Go, apart from the scenes' YAML, so the
// simulator's tests, golden hashes and benchmarks (and the renderer's)
// stand on a world that no scene edit changes.
func Demo() Spec {
	return Spec{
		Name:   "demo",
		Title:  "A factory cell beside a smart home",
		Lesson: "The PLC polls its bus and opens the valve by itself; the smart home's decisions travel to the cloud and back.",
		Sides:  []SideSpec{{Name: "m2m", Title: "M2M: factory cell"}, {Name: "iot", Title: "IoT: smart home"}},
		Devices: []DeviceSpec{
			{ID: "plc", Kind: "controller", Side: "m2m", Label: "PLC", X: 200, Y: 120},
			{ID: "oven-temp", Kind: "sensor", Side: "m2m", Label: "Oven temp", X: 60, Y: 320, Quantity: "temp", Unit: "°C", Base: 48, Swing: 6, CycleS: 20},
			{ID: "oil-temp", Kind: "sensor", Side: "m2m", Label: "Oil temp", X: 200, Y: 320, Quantity: "temp", Unit: "°C", Base: 35, Swing: 4, CycleS: 30},
			{ID: "valve", Kind: "actuator", Side: "m2m", Label: "Valve", X: 340, Y: 320},

			{ID: "living-temp", Kind: "sensor", Side: "iot", Label: "Living room", X: 620, Y: 340, Quantity: "temp", Unit: "°C", Base: 22, Swing: 3, CycleS: 25},
			{ID: "door", Kind: "sensor", Side: "iot", Label: "Door", X: 760, Y: 380, Quantity: "open", Base: 0.5, Swing: 0.5, CycleS: 12},
			{ID: "lamp", Kind: "actuator", Side: "iot", Label: "Lamp", X: 900, Y: 340},
			{ID: "hub", Kind: "gateway", Side: "iot", Label: "Zigbee hub", X: 760, Y: 220},
			{ID: "cloud", Kind: "broker", Side: "iot", Label: "Cloud broker", X: 900, Y: 40},
			{ID: "phone", Kind: "app", Side: "iot", Label: "Phone app", X: 1060, Y: 160},
		},
		Links: []LinkSpec{
			{ID: "fieldbus", Medium: "rs485", Members: []string{"plc", "oven-temp", "oil-temp", "valve"}, Baud: 9600},
			{ID: "zigbee", Medium: "zigbee", Members: []string{"hub", "living-temp", "door", "lamp"}, Range: 250},
			{ID: "uplink", Medium: "internet", Members: []string{"hub", "cloud"}},
			{ID: "mobile", Medium: "cellular", Members: []string{"cloud", "phone"}},
		},
		Rules: []Rule{
			{Where: "plc", Sensor: "oven-temp", Above: 50, Hysteresis: 1, Actuator: "valve"},
			{Where: "cloud", Sensor: "living-temp", Above: 23, Hysteresis: 0.5, Actuator: "lamp"},
		},
	}
}

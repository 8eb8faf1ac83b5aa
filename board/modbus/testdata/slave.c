/* A Modbus RTU slave built on Debian's libmodbus, so the master is tested
 * against an implementation this project did not write. Slave 17 holds
 * registers 100..115, input registers 200..215 and 16 coils, and answers
 * until it is killed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <modbus.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: slave DEVICE\n");
        return 2;
    }
    modbus_t *ctx = modbus_new_rtu(argv[1], 9600, 'N', 8, 1);
    if (ctx == NULL || modbus_set_slave(ctx, 17) == -1 || modbus_connect(ctx) == -1) {
        fprintf(stderr, "slave: %s\n", modbus_strerror(errno));
        return 1;
    }
    if (getenv("SLAVE_DEBUG")) modbus_set_debug(ctx, TRUE);
    modbus_mapping_t *mb = modbus_mapping_new(16, 16, 16, 16);
    for (int i = 0; i < 16; i++) {
        mb->tab_registers[i] = 100 + i;
        mb->tab_input_registers[i] = 200 + i;
        mb->tab_input_bits[i] = i % 2;
    }
    printf("ready\n");
    fflush(stdout);
    uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
    for (;;) {
        int rc = modbus_receive(ctx, query);
        if (rc > 0) {
            modbus_reply(ctx, query, rc, mb);
        }
    }
}

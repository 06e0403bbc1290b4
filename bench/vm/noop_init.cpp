// The baseline's PID 1: does nothing and ends the machine at once, so a boot
// with it measures QEMU and the kernel alone.
#include <sys/reboot.h>
#include <unistd.h>

int main() {
  ::reboot(RB_POWER_OFF);
  ::reboot(RB_AUTOBOOT);  // -no-reboot turns a reboot into QEMU's exit too
  for (;;) ::pause();
}

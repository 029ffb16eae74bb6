#!/bin/bash
# npm run guest:build: a small bootable test guest from Debian's packages (see README, "Real
# virtual machines with QEMU"). The result is one raw disk image that boots by itself: a FAT
# file system with the SYSLINUX boot loader, Debian's kernel and an initramfs holding
# busybox, the few kernel modules a QEMU guest needs, and guest/init.
#   guest/build.sh [OUTPUT]   (default build/guest/imprint-guest.img)
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${1:-build/guest/imprint-guest.img}
IMAGE_MB=64

missing=()
for tool in syslinux mcopy mkfs.fat gzip; do command -v "$tool" >/dev/null || missing+=("$tool"); done
{ ldd /bin/busybox 2>&1 || true; } | grep -q "not a dynamic executable" || missing+=("a static /bin/busybox (busybox-static)")
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$KERNEL" ] || missing+=("a kernel in /boot")
if [ ${#missing[@]} -gt 0 ]; then
  echo "guest:build needs: ${missing[*]}" >&2
  echo "install them with: apt-get install -y --no-install-recommends linux-image-amd64 busybox-static syslinux syslinux-common mtools dosfstools" >&2
  exit 1
fi
VERSION=${KERNEL#/boot/vmlinuz-}
MODULES=/lib/modules/$VERSION

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,cidata,data,etc/acpi/PWRF,lib/modules}
cp /bin/busybox "$root/bin/busybox"
install -m 755 guest/init "$root/init"
install -m 755 guest/power-off "$root/etc/acpi/PWRF/00000080"

# The modules, each after the ones it needs (from modules.dep).
declare -A seen=()
order=()
add() {
  local module=$1 deps
  [ -n "${seen[$module]:-}" ] && return
  seen[$module]=1
  deps=$(grep "^$module:" "$MODULES/modules.dep" | cut -d: -f2) || { echo "no module $module in $MODULES" >&2; exit 1; }
  for dep in $deps; do add "$dep"; done
  order+=("$module")
}
for module in crypto/crc32c_generic fs/ext4/ext4 drivers/virtio/virtio_pci drivers/block/virtio_blk \
  drivers/net/virtio_net drivers/ata/ata_piix drivers/scsi/sr_mod fs/isofs/isofs drivers/acpi/button drivers/input/evdev; do
  add "kernel/$module.ko"
done
for module in "${order[@]}"; do
  cp "$MODULES/$module" "$root/lib/modules/"
  basename "$module" >> "$root/etc/modules"
done

(cd "$root" && find . | sort | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -9 > "$work/initrd.gz"

cat > "$work/syslinux.cfg" <<CFG
DEFAULT imprint
PROMPT 0
TIMEOUT 0
LABEL imprint
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=ttyS0 panic=-1 loglevel=6
CFG

image=$work/imprint-guest.img
truncate -s ${IMAGE_MB}M "$image"
mkfs.fat -n IMPRINT "$image" >/dev/null
syslinux --install "$image"
mcopy -i "$image" "$KERNEL" ::vmlinuz
mcopy -i "$image" "$work/initrd.gz" ::initrd.gz
mcopy -i "$image" "$work/syslinux.cfg" ::syslinux.cfg

mkdir -p "$(dirname "$OUTPUT")"
mv "$image" "$OUTPUT.tmp" && mv "$OUTPUT.tmp" "$OUTPUT"
echo "guest image: $OUTPUT (${IMAGE_MB} MiB, kernel $VERSION, ${#order[@]} modules)"

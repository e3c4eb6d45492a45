# Sourced by scripts/dist.sh and scripts/dist-cross.sh: lays out and packs one platform's
# libvngate tarball in dist/ (libvngate.so.VERSION with its .so.0 and .so links, libvngate.a,
# both headers, a relocatable vngate.pc, the `vngate` command in bin/, README, licences,
# CHANGELOG). Needs $version.
lib_tarball() { # platform (x86_64-linux-gnu, …), build dir (libvngate.so, .a), the command, strip
    local platform=$1 out=$2 cli=$3 strip=$4
    local lib=libvngate-$version-$platform
    rm -rf "dist/$lib"
    mkdir -p "dist/$lib/lib/pkgconfig" "dist/$lib/include" "dist/$lib/bin"
    install -m 755 "$cli" "dist/$lib/bin/vngate"
    "$strip" "dist/$lib/bin/vngate"
    install -m 755 "$out/libvngate.so" "dist/$lib/lib/libvngate.so.$version"
    "$strip" --strip-unneeded "dist/$lib/lib/libvngate.so.$version"
    ln -s "libvngate.so.$version" "dist/$lib/lib/libvngate.so.0"
    ln -s libvngate.so.0 "dist/$lib/lib/libvngate.so"
    install -m 644 "$out/libvngate.a" "dist/$lib/lib/"
    "$strip" --strip-debug "dist/$lib/lib/libvngate.a"
    install -m 644 include/vngate.h include/vngate_php.h "dist/$lib/include/"
    sed -e 's|^prefix=@PREFIX@|prefix=${pcfiledir}/../..|' -e "s|@VERSION@|$version|" ffi/vngate.pc.in > "dist/$lib/lib/pkgconfig/vngate.pc"
    install -m 644 README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE SECURITY.md "dist/$lib/"
    tar -czf "dist/$lib.tar.gz" -C dist "$lib"
}

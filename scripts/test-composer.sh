#!/usr/bin/env bash
# The PHP package as Composer users install it, offline (Packagist off): `composer require
# vngate/vngate` from a path repository (the unpacked dist package) and from an artifact
# repository (the directory holding dist's tarball), each then loading the library it carries;
# and from a VCS repository of the sources (a clone of this one), which holds no compiled
# library and must say how to get one. Usage: scripts/test-composer.sh VERSION
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=${1:?the version}
work=$(mktemp -d)
trap '[ -n "${VNGATE_KEEP:-}" ] || rm -rf "$work"' EXIT
export COMPOSER_HOME=$work/composer-home COMPOSER_NO_INTERACTION=1 COMPOSER_ALLOW_SUPERUSER=1
passed=0 failed=0
check() { # condition-status, what
    if [ "$1" -eq 0 ]; then echo "ok - $2"; passed=$((passed + 1)); else echo "not ok - $2"; failed=$((failed + 1)); fi
}

# A project that requires vngate/vngate from one repository; prints its transcript.
require() { # name, repository JSON, constraint
    local project=$work/$1
    mkdir -p "$project"
    cat >"$project/composer.json" <<JSON
{"name": "shop/$1", "require": {}, "repositories": [$2, {"packagist.org": false}],
 "minimum-stability": "stable"}
JSON
    (cd "$project" && composer require --no-progress "vngate/vngate:$3" 2>&1) >"$project/transcript.txt"
}
loads() { # project: the library's version, through the installed package
    (cd "$work/$1" && php -d ffi.enable=1 -r 'require "vendor/autoload.php"; echo Vngate\Client::version();' 2>&1)
}

unpacked=$work/unpacked
mkdir -p "$unpacked"
tar -xzf "dist/vngate-php-$version.tar.gz" -C "$unpacked"
require path "{\"type\": \"path\", \"url\": \"$unpacked/vngate-php-$version\", \"options\": {\"symlink\": false}}" "$version"
check $? "composer require vngate/vngate:$version from a path repository (the unpacked package)"
[ "$(loads path)" = "$version" ]
check $? "the path-installed package loads its own library ($(loads path | head -c 120))"

# The package picks its platform's library (lib/x86_64-linux-gnu/ here); on a platform it
# carries none for, the message names this one and those it carries.
other=$work/other-platform
cp -r "$work/path" "$other"
mv "$other/vendor/vngate/vngate/lib/x86_64-linux-gnu" "$other/vendor/vngate/vngate/lib/aarch64-linux-musl"
said=$(cd "$other" && VNGATE_LIB= php -d ffi.enable=1 -r 'require "vendor/autoload.php"; try { Vngate\Client::version(); } catch (FFI\Exception $e) { echo $e->getMessage(); }')
echo "$said" | grep -q "no library for this platform (x86_64-linux-gnu); it carries aarch64-linux-musl"
check $? "a package without this platform's library names the platform and those it carries (${said:0:120}…)"

mkdir -p "$work/artifacts"
cp "dist/vngate-php-$version.tar.gz" "$work/artifacts/"
require artifact "{\"type\": \"artifact\", \"url\": \"$work/artifacts\"}" "$version"
check $? "composer require vngate/vngate:$version from an artifact repository (dist's tarball)"
[ "$(loads artifact)" = "$version" ]
check $? "the artifact-installed package loads its own library"

# vngate/laravel from the same artifact repository (both tarballs), Laravel itself provided
# (Packagist is off here; tests/php/laravel.py runs it in a Laravel app): it brings the PHP
# package with it.
cp "dist/vngate-laravel-$version.tar.gz" "$work/artifacts/"
mkdir -p "$work/laravel"
# What it requires of Laravel, read from its composer.json, provided as Laravel 8.83.26.
illuminate=$(python3 -c 'import json, sys; print(", ".join(f"\"{name}\": \"8.83.26\"" for name in json.load(sys.stdin)["require"] if name.startswith("illuminate/")))' <laravel/composer.json)
cat >"$work/laravel/composer.json" <<JSON
{"name": "shop/laravel", "require": {}, "provide": {$illuminate},
 "repositories": [{"type": "artifact", "url": "$work/artifacts"}, {"packagist.org": false}], "minimum-stability": "stable"}
JSON
(cd "$work/laravel" && composer require --no-progress "vngate/laravel:$version" 2>&1) >"$work/laravel/transcript.txt"
check $? "composer require vngate/laravel:$version from an artifact repository (with vngate/vngate)"
grep -q "Installing vngate/vngate ($version)" "$work/laravel/transcript.txt" && [ "$(loads laravel)" = "$version" ] \
    && [ -f "$work/laravel/vendor/vngate/laravel/config/vngate.php" ]
check $? "vngate/laravel brought vngate/vngate, which loads its library, and its config/vngate.php"

git clone -q "$root" "$work/sources" && git -C "$work/sources" checkout -q -B main
require vcs "{\"type\": \"vcs\", \"url\": \"$work/sources\"}" "dev-main"
check $? "composer require vngate/vngate:dev-main from a VCS repository (the sources)"
said=$(loads vcs)
echo "$said" | grep -q "source repository" && echo "$said" | grep -q "cargo build --release -p vngate-ffi"
check $? "the sources, with no compiled library, say how to get one ($(echo "$said" | head -c 160)…)"

for name in path artifact laravel vcs; do
    echo "# composer require ($name): $(grep -E 'Installing vngate/vngate|Locking vngate/vngate' "$work/$name/transcript.txt" | head -n1 | sed 's/^ *- *//')"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

# Sourced by the scripts that install Debian packages for tests and reports
# (install-browser.sh, install-fonts.sh): one way to say "needs root", "no apt here", install.

# apt_install WHO HINT PACKAGE...: installs PACKAGE... with apt-get, or explains (on stderr)
# why it cannot, with HINT as the manual alternative, and exits 1.
apt_install() {
    local who=$1 hint=$2
    shift 2
    if [ "$(id -u)" -ne 0 ]; then
        echo "$who: this needs root." >&2
        echo "  run: sudo $0   (or: sudo apt-get install -y $*)" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$who: no apt-get here; $hint" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "$@"
}

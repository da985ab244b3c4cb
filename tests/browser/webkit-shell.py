#!/usr/bin/python3
"""A WebKitGTK browser for WebKitWebDriver that keeps its website data on disk.

MiniBrowser in --automation mode always uses an ephemeral (in-memory) data manager, so
IndexedDB never outlives a WebDriver session there. This shell is the smallest browser that
WebKitWebDriver can drive (automation allowed, a web view per "create-web-view") with its
website data in DIR/data and its cache in DIR/cache, so that a test can quit the browser, start
it again on the same DIR, and find what the pages stored (tests/browser/restart.spec.mjs).

    webkit-shell.py --automation --data-dir DIR

Debian's python3 (/usr/bin/python3), where python3-gi is, not one first on PATH.

Needs python3-gi and gir1.2-webkit2-4.1 (Debian), the same WebKitGTK as MiniBrowser.
"""
import argparse
import os
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

NAME = "switchyard-webkit-shell"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--automation", action="store_true", help="allow WebKitWebDriver to drive it")
    parser.add_argument("--data-dir", required=True, help="website data and cache go under this directory")
    args, _ = parser.parse_known_args()

    GLib.set_prgname(NAME)
    data_dir = os.path.abspath(args.data_dir)
    manager = WebKit2.WebsiteDataManager(
        base_data_directory=os.path.join(data_dir, "data"),
        base_cache_directory=os.path.join(data_dir, "cache"),
    )
    context = WebKit2.WebContext(website_data_manager=manager)
    context.set_automation_allowed(args.automation)
    windows = []

    def new_view(_session=None):
        view = WebKit2.WebView(web_context=context, is_controlled_by_automation=args.automation)
        window = Gtk.Window(title=NAME)
        window.set_default_size(1024, 768)
        window.add(view)
        windows.append(window)

        def closed(*_):
            windows.remove(window)
            window.destroy()

        view.connect("close", closed)
        window.connect("delete-event", lambda *_: closed() or True)
        window.show_all()
        return view

    def automation_started(_context, session):
        info = WebKit2.ApplicationInfo()
        info.set_name(NAME)
        info.set_version(WebKit2.get_major_version(), WebKit2.get_minor_version(), WebKit2.get_micro_version())
        session.set_application_info(info)
        session.connect("create-web-view", new_view)

    context.connect("automation-started", automation_started)
    new_view()  # the first window, as MiniBrowser opens one

    # WebKitWebDriver kills its browser when a session ends, unless it is itself stopped first:
    # the shell then ends with it rather than run on as an orphan holding the data directory.
    parent = os.getppid()

    def parent_alive():
        if os.getppid() != parent:
            Gtk.main_quit()
            return False
        return True

    GLib.timeout_add(100, parent_alive)
    Gtk.main()


if __name__ == "__main__":
    sys.exit(main())

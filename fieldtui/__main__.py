from fieldtui.cli import main

raise SystemExit(main())

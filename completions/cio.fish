complete --keep-order --exclusive --command cio --arguments "(COMPLETE=fish cio -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cio_global_optspecs
    string join \n write-key= region= endpoint= allow-insecure-http profile= config= timeout= retries= q/quiet v/verbose json h/help V/version
end

function __fish_cio_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cio_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cio_using_subcommand
    set -l cmd (__fish_cio_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cio -n "__fish_cio_needs_command" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_needs_command" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_needs_command" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_needs_command" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_needs_command" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_needs_command" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_needs_command" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_needs_command" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_needs_command" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_needs_command" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_needs_command" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_needs_command" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_needs_command" -f -a "track" -d 'Record an action a person took: `cio track "Product Added" --prop price=139.99`'
complete -c cio -n "__fish_cio_needs_command" -f -a "identify" -d 'Say who a person is and set their traits: `cio identify --user-id u1 --trait email=a@b.c`'
complete -c cio -n "__fish_cio_needs_command" -f -a "page" -d 'Record a page view: `cio page Home --prop url=https://example.com/?q=1`'
complete -c cio -n "__fish_cio_needs_command" -f -a "screen" -d 'Record a mobile screen view: `cio screen Settings`'
complete -c cio -n "__fish_cio_needs_command" -f -a "group" -d 'Put a person in a group (company, account): `cio group --group-id acme`'
complete -c cio -n "__fish_cio_needs_command" -f -a "alias" -d 'Merge two identities: `cio alias --previous-id anon-1 --user-id u1`'
complete -c cio -n "__fish_cio_needs_command" -f -a "batch" -d 'Replay NDJSON calls (files, .gz, or stdin) through the batch API'
complete -c cio -n "__fish_cio_needs_command" -f -a "listen" -d 'Serve the Pipelines API locally: show, check and record every call an app sends'
complete -c cio -n "__fish_cio_needs_command" -f -a "config" -d 'Create, read and change the config file'
complete -c cio -n "__fish_cio_needs_command" -f -a "completions" -d 'Print a completion script: `cio completions bash > /etc/bash_completion.d/cio`'
complete -c cio -n "__fish_cio_needs_command" -f -a "man" -d 'Print the man page (roff): `cio man > cio.1`'
complete -c cio -n "__fish_cio_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cio -n "__fish_cio_using_subcommand track" -s p -l prop -d 'A property of the event (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l user-id -d 'The person\'s id in your system [env: CIO_USER_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l anonymous-id -d 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -s f -l file -d 'A whole or partial call as JSON (`-` for stdin); flags merge over it' -r -F
complete -c cio -n "__fish_cio_using_subcommand track" -l timestamp -d 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l message-id -d 'Deduplication key of the call [default: a fresh UUID v4]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -s c -l context -d 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l integration -d 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand track" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand track" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand track" -s n -l dry-run -d 'Print the complete call as it would be sent, and send nothing'
complete -c cio -n "__fish_cio_using_subcommand track" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand track" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand track" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand track" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand track" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_using_subcommand track" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand identify" -s t -l trait -d 'A trait of the person (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l user-id -d 'The person\'s id in your system [env: CIO_USER_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l anonymous-id -d 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -s f -l file -d 'A whole or partial call as JSON (`-` for stdin); flags merge over it' -r -F
complete -c cio -n "__fish_cio_using_subcommand identify" -l timestamp -d 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l message-id -d 'Deduplication key of the call [default: a fresh UUID v4]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -s c -l context -d 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l integration -d 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand identify" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand identify" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand identify" -s n -l dry-run -d 'Print the complete call as it would be sent, and send nothing'
complete -c cio -n "__fish_cio_using_subcommand identify" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand identify" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand identify" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand identify" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand identify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_using_subcommand identify" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand page" -l category -d 'Category of the page' -r
complete -c cio -n "__fish_cio_using_subcommand page" -s p -l prop -d 'A property of the page (repeatable); `url` fills `path` and `search`' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l user-id -d 'The person\'s id in your system [env: CIO_USER_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l anonymous-id -d 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -s f -l file -d 'A whole or partial call as JSON (`-` for stdin); flags merge over it' -r -F
complete -c cio -n "__fish_cio_using_subcommand page" -l timestamp -d 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l message-id -d 'Deduplication key of the call [default: a fresh UUID v4]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -s c -l context -d 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l integration -d 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand page" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand page" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand page" -s n -l dry-run -d 'Print the complete call as it would be sent, and send nothing'
complete -c cio -n "__fish_cio_using_subcommand page" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand page" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand page" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand page" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand page" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_using_subcommand page" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand screen" -s p -l prop -d 'A property of the screen (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l user-id -d 'The person\'s id in your system [env: CIO_USER_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l anonymous-id -d 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -s f -l file -d 'A whole or partial call as JSON (`-` for stdin); flags merge over it' -r -F
complete -c cio -n "__fish_cio_using_subcommand screen" -l timestamp -d 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l message-id -d 'Deduplication key of the call [default: a fresh UUID v4]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -s c -l context -d 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l integration -d 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand screen" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand screen" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand screen" -s n -l dry-run -d 'Print the complete call as it would be sent, and send nothing'
complete -c cio -n "__fish_cio_using_subcommand screen" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand screen" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand screen" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand screen" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand screen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_using_subcommand screen" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand group" -l group-id -d 'Id of the group' -r
complete -c cio -n "__fish_cio_using_subcommand group" -s t -l trait -d 'A trait of the group (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l user-id -d 'The person\'s id in your system [env: CIO_USER_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l anonymous-id -d 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -s f -l file -d 'A whole or partial call as JSON (`-` for stdin); flags merge over it' -r -F
complete -c cio -n "__fish_cio_using_subcommand group" -l timestamp -d 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l message-id -d 'Deduplication key of the call [default: a fresh UUID v4]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -s c -l context -d 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l integration -d 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand group" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand group" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand group" -s n -l dry-run -d 'Print the complete call as it would be sent, and send nothing'
complete -c cio -n "__fish_cio_using_subcommand group" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand group" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand group" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand group" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand group" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_using_subcommand group" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand alias" -l previous-id -d 'The identity being merged away' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l user-id -d 'The person\'s id in your system [env: CIO_USER_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l anonymous-id -d 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -s f -l file -d 'A whole or partial call as JSON (`-` for stdin); flags merge over it' -r -F
complete -c cio -n "__fish_cio_using_subcommand alias" -l timestamp -d 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l message-id -d 'Deduplication key of the call [default: a fresh UUID v4]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -s c -l context -d 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l integration -d 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand alias" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand alias" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand alias" -s n -l dry-run -d 'Print the complete call as it would be sent, and send nothing'
complete -c cio -n "__fish_cio_using_subcommand alias" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand alias" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand alias" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand alias" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand alias" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand alias" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand batch" -l type -d 'Type of the lines that have no "type" of their own' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l user-id -d 'The person\'s id in your system [env: CIO_USER_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l anonymous-id -d 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -s c -l context -d 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l integration -d 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l rejects -d 'Write every call not delivered here as NDJSON, with its kind (replayable)' -r -F
complete -c cio -n "__fish_cio_using_subcommand batch" -l checkpoint -d 'Record what is done here; the same command again sends what is owed' -r -F
complete -c cio -n "__fish_cio_using_subcommand batch" -l concurrency -d 'Requests in flight at once' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l rate -d 'At most this many calls per second' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l flush-interval -d 'Send a partial batch after this many milliseconds without a full one' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l max-batch-bytes -d 'Largest request body before compression, in bytes' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l max-batch-calls -d 'Most calls in one request' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand batch" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand batch" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand batch" -l no-gzip -d 'Send request bodies uncompressed'
complete -c cio -n "__fish_cio_using_subcommand batch" -s n -l dry-run -d 'Validate everything, report what would be sent, and send nothing'
complete -c cio -n "__fish_cio_using_subcommand batch" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand batch" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand batch" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand batch" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_using_subcommand batch" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand listen" -l port -d 'Port to listen on (0 picks a free one)' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l host -d 'Address to listen on; anything but loopback also needs a write key' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -s o -l output -d 'Append every accepted call to FILE as NDJSON, with receivedAt (replay: cio batch FILE)' -r -F
complete -c cio -n "__fish_cio_using_subcommand listen" -l exit-after -d 'Stop after this many calls' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l idle-exit -d 'Stop after this many seconds without a request' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l read-timeout -d 'Time a client has to send a request\'s headers, and then its body, in seconds' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l status -d 'Fault injection: answer requests with this status (every one, or --fail-rate of them)' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l fail-rate -d 'Fault injection: answer this share of requests (0 to 1) with --status (default 503)' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l delay-ms -d 'Fault injection: wait this long before every answer' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand listen" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand listen" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand listen" -l forward -d 'Send accepted calls on to the configured endpoint (profile, region, --endpoint) and answer each request with the upstream\'s verdict'
complete -c cio -n "__fish_cio_using_subcommand listen" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand listen" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand listen" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand listen" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand listen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cio -n "__fish_cio_using_subcommand listen" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -f -a "init" -d 'Create the config file with a profile (asks for the write key on a terminal)'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -f -a "set" -d 'Set a value of the profile; write_key is read from stdin or a hidden prompt'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -f -a "get" -d 'Print a value of the profile (write_key is masked)'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -f -a "unset" -d 'Remove a value from the profile'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -f -a "list" -d 'List the profiles and their values (write keys masked)'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -f -a "path" -d 'Print the path of the config file'
complete -c cio -n "__fish_cio_using_subcommand config; and not __fish_seen_subcommand_from init set get unset list path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l force -d 'Replace an existing profile of the same name'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from unset" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create the config file with a profile (asks for the write key on a terminal)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set a value of the profile; write_key is read from stdin or a hidden prompt'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print a value of the profile (write_key is masked)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "unset" -d 'Remove a value from the profile'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the profiles and their values (write keys masked)'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the config file'
complete -c cio -n "__fish_cio_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cio -n "__fish_cio_using_subcommand completions" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand completions" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand completions" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand completions" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand completions" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand completions" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand completions" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand completions" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand completions" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand completions" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand completions" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand completions" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand completions" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand man" -l write-key -d 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file' -r
complete -c cio -n "__fish_cio_using_subcommand man" -l region -d 'Region of the workspace [env: CIO_REGION] [default: us]' -r -f -a "us\t''
eu\t''"
complete -c cio -n "__fish_cio_using_subcommand man" -l endpoint -d 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]' -r
complete -c cio -n "__fish_cio_using_subcommand man" -l profile -d 'Profile of the config file to use [env: CIO_PROFILE]' -r
complete -c cio -n "__fish_cio_using_subcommand man" -l config -d 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]' -r -F
complete -c cio -n "__fish_cio_using_subcommand man" -l timeout -d 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]' -r
complete -c cio -n "__fish_cio_using_subcommand man" -l retries -d 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]' -r
complete -c cio -n "__fish_cio_using_subcommand man" -l allow-insecure-http -d 'Allow plain http:// to a host other than loopback (the key travels in clear)'
complete -c cio -n "__fish_cio_using_subcommand man" -s q -l quiet -d 'Print nothing but errors'
complete -c cio -n "__fish_cio_using_subcommand man" -s v -l verbose -d 'Show each request (method, URL, status, timing) on stderr; never the key'
complete -c cio -n "__fish_cio_using_subcommand man" -l json -d 'Print the result as one JSON object on stdout'
complete -c cio -n "__fish_cio_using_subcommand man" -s h -l help -d 'Print help'
complete -c cio -n "__fish_cio_using_subcommand man" -s V -l version -d 'Print version'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "track" -d 'Record an action a person took: `cio track "Product Added" --prop price=139.99`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "identify" -d 'Say who a person is and set their traits: `cio identify --user-id u1 --trait email=a@b.c`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "page" -d 'Record a page view: `cio page Home --prop url=https://example.com/?q=1`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "screen" -d 'Record a mobile screen view: `cio screen Settings`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "group" -d 'Put a person in a group (company, account): `cio group --group-id acme`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "alias" -d 'Merge two identities: `cio alias --previous-id anon-1 --user-id u1`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "batch" -d 'Replay NDJSON calls (files, .gz, or stdin) through the batch API'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "listen" -d 'Serve the Pipelines API locally: show, check and record every call an app sends'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "config" -d 'Create, read and change the config file'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "completions" -d 'Print a completion script: `cio completions bash > /etc/bash_completion.d/cio`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "man" -d 'Print the man page (roff): `cio man > cio.1`'
complete -c cio -n "__fish_cio_using_subcommand help; and not __fish_seen_subcommand_from track identify page screen group alias batch listen config completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cio -n "__fish_cio_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Create the config file with a profile (asks for the write key on a terminal)'
complete -c cio -n "__fish_cio_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Set a value of the profile; write_key is read from stdin or a hidden prompt'
complete -c cio -n "__fish_cio_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "get" -d 'Print a value of the profile (write_key is masked)'
complete -c cio -n "__fish_cio_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "unset" -d 'Remove a value from the profile'
complete -c cio -n "__fish_cio_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "list" -d 'List the profiles and their values (write keys masked)'
complete -c cio -n "__fish_cio_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the config file'


using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'cio' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'cio'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'cio' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('track', 'track', [CompletionResultType]::ParameterValue, 'Record an action a person took: `cio track "Product Added" --prop price=139.99`')
            [CompletionResult]::new('identify', 'identify', [CompletionResultType]::ParameterValue, 'Say who a person is and set their traits: `cio identify --user-id u1 --trait email=a@b.c`')
            [CompletionResult]::new('page', 'page', [CompletionResultType]::ParameterValue, 'Record a page view: `cio page Home --prop url=https://example.com/?q=1`')
            [CompletionResult]::new('screen', 'screen', [CompletionResultType]::ParameterValue, 'Record a mobile screen view: `cio screen Settings`')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'Put a person in a group (company, account): `cio group --group-id acme`')
            [CompletionResult]::new('alias', 'alias', [CompletionResultType]::ParameterValue, 'Merge two identities: `cio alias --previous-id anon-1 --user-id u1`')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Replay NDJSON calls (files, .gz, or stdin) through the batch API')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Serve the Pipelines API locally: show, check and record every call an app sends')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Create, read and change the config file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script: `cio completions bash > /etc/bash_completion.d/cio`')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff): `cio man > cio.1`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cio;track' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A property of the event (repeatable)')
            [CompletionResult]::new('--prop', '--prop', [CompletionResultType]::ParameterName, 'A property of the event (repeatable)')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The person''s id in your system [env: CIO_USER_ID]')
            [CompletionResult]::new('--anonymous-id', '--anonymous-id', [CompletionResultType]::ParameterName, 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]')
            [CompletionResult]::new('--message-id', '--message-id', [CompletionResultType]::ParameterName, 'Deduplication key of the call [default: a fresh UUID v4]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;identify' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'A trait of the person (repeatable)')
            [CompletionResult]::new('--trait', '--trait', [CompletionResultType]::ParameterName, 'A trait of the person (repeatable)')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The person''s id in your system [env: CIO_USER_ID]')
            [CompletionResult]::new('--anonymous-id', '--anonymous-id', [CompletionResultType]::ParameterName, 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]')
            [CompletionResult]::new('--message-id', '--message-id', [CompletionResultType]::ParameterName, 'Deduplication key of the call [default: a fresh UUID v4]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;page' {
            [CompletionResult]::new('--category', '--category', [CompletionResultType]::ParameterName, 'Category of the page')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A property of the page (repeatable); `url` fills `path` and `search`')
            [CompletionResult]::new('--prop', '--prop', [CompletionResultType]::ParameterName, 'A property of the page (repeatable); `url` fills `path` and `search`')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The person''s id in your system [env: CIO_USER_ID]')
            [CompletionResult]::new('--anonymous-id', '--anonymous-id', [CompletionResultType]::ParameterName, 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]')
            [CompletionResult]::new('--message-id', '--message-id', [CompletionResultType]::ParameterName, 'Deduplication key of the call [default: a fresh UUID v4]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;screen' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A property of the screen (repeatable)')
            [CompletionResult]::new('--prop', '--prop', [CompletionResultType]::ParameterName, 'A property of the screen (repeatable)')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The person''s id in your system [env: CIO_USER_ID]')
            [CompletionResult]::new('--anonymous-id', '--anonymous-id', [CompletionResultType]::ParameterName, 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]')
            [CompletionResult]::new('--message-id', '--message-id', [CompletionResultType]::ParameterName, 'Deduplication key of the call [default: a fresh UUID v4]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;group' {
            [CompletionResult]::new('--group-id', '--group-id', [CompletionResultType]::ParameterName, 'Id of the group')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'A trait of the group (repeatable)')
            [CompletionResult]::new('--trait', '--trait', [CompletionResultType]::ParameterName, 'A trait of the group (repeatable)')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The person''s id in your system [env: CIO_USER_ID]')
            [CompletionResult]::new('--anonymous-id', '--anonymous-id', [CompletionResultType]::ParameterName, 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]')
            [CompletionResult]::new('--message-id', '--message-id', [CompletionResultType]::ParameterName, 'Deduplication key of the call [default: a fresh UUID v4]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;alias' {
            [CompletionResult]::new('--previous-id', '--previous-id', [CompletionResultType]::ParameterName, 'The identity being merged away')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The person''s id in your system [env: CIO_USER_ID]')
            [CompletionResult]::new('--anonymous-id', '--anonymous-id', [CompletionResultType]::ParameterName, 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A whole or partial call as JSON (`-` for stdin); flags merge over it')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'When it happened: RFC 3339 (2026-11-28T15:01:30Z) or Unix seconds [default: now]')
            [CompletionResult]::new('--message-id', '--message-id', [CompletionResultType]::ParameterName, 'Deduplication key of the call [default: a fresh UUID v4]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the complete call as it would be sent, and send nothing')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;batch' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Type of the lines that have no "type" of their own')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'The person''s id in your system [env: CIO_USER_ID]')
            [CompletionResult]::new('--anonymous-id', '--anonymous-id', [CompletionResultType]::ParameterName, 'An id for a person not yet known [env: CIO_ANONYMOUS_ID]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'A context field, e.g. ip=1.2.3.4 or device.type=ios (repeatable)')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Turn a destination on or off: NAME=true|false, or All=false (repeatable)')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write every call not delivered here as NDJSON, with its kind (replayable)')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'Record what is done here; the same command again sends what is owed')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most this many calls per second')
            [CompletionResult]::new('--flush-interval', '--flush-interval', [CompletionResultType]::ParameterName, 'Send a partial batch after this many milliseconds without a full one')
            [CompletionResult]::new('--max-batch-bytes', '--max-batch-bytes', [CompletionResultType]::ParameterName, 'Largest request body before compression, in bytes')
            [CompletionResult]::new('--max-batch-calls', '--max-batch-calls', [CompletionResultType]::ParameterName, 'Most calls in one request')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--no-gzip', '--no-gzip', [CompletionResultType]::ParameterName, 'Send request bodies uncompressed')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Validate everything, report what would be sent, and send nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate everything, report what would be sent, and send nothing')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;listen' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on (0 picks a free one)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on; anything but loopback also needs a write key')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Append every accepted call to FILE as NDJSON, with receivedAt (replay: cio batch FILE)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Append every accepted call to FILE as NDJSON, with receivedAt (replay: cio batch FILE)')
            [CompletionResult]::new('--exit-after', '--exit-after', [CompletionResultType]::ParameterName, 'Stop after this many calls')
            [CompletionResult]::new('--idle-exit', '--idle-exit', [CompletionResultType]::ParameterName, 'Stop after this many seconds without a request')
            [CompletionResult]::new('--read-timeout', '--read-timeout', [CompletionResultType]::ParameterName, 'Time a client has to send a request''s headers, and then its body, in seconds')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Fault injection: answer requests with this status (every one, or --fail-rate of them)')
            [CompletionResult]::new('--fail-rate', '--fail-rate', [CompletionResultType]::ParameterName, 'Fault injection: answer this share of requests (0 to 1) with --status (default 503)')
            [CompletionResult]::new('--delay-ms', '--delay-ms', [CompletionResultType]::ParameterName, 'Fault injection: wait this long before every answer')
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--forward', '--forward', [CompletionResultType]::ParameterName, 'Send accepted calls on to the configured endpoint (profile, region, --endpoint) and answer each request with the upstream''s verdict')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;config' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the config file with a profile (asks for the write key on a terminal)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a value of the profile; write_key is read from stdin or a hidden prompt')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a value of the profile (write_key is masked)')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove a value from the profile')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles and their values (write keys masked)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cio;config;init' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing profile of the same name')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;config;set' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;config;get' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;config;unset' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;config;list' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;config;path' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;config;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the config file with a profile (asks for the write key on a terminal)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a value of the profile; write_key is read from stdin or a hidden prompt')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a value of the profile (write_key is masked)')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove a value from the profile')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles and their values (write keys masked)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cio;config;help;init' {
            break
        }
        'cio;config;help;set' {
            break
        }
        'cio;config;help;get' {
            break
        }
        'cio;config;help;unset' {
            break
        }
        'cio;config;help;list' {
            break
        }
        'cio;config;help;path' {
            break
        }
        'cio;config;help;help' {
            break
        }
        'cio;completions' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;man' {
            [CompletionResult]::new('--write-key', '--write-key', [CompletionResultType]::ParameterName, 'Write key of the source [env: CIO_WRITE_KEY]. Visible to other users in the process list: prefer CIO_WRITE_KEY or the config file')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region of the workspace [env: CIO_REGION] [default: us]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Base URL that /track, /batch, ... are appended to [env: CIO_ENDPOINT]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile of the config file to use [env: CIO_PROFILE]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [env: CIO_CONFIG] [default: $XDG_CONFIG_HOME/cio/config.toml]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one HTTP attempt, in seconds [env: CIO_TIMEOUT] [default: 10]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times a retryable failure is retried [env: CIO_RETRIES] [default: 5]')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain http:// to a host other than loopback (the key travels in clear)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each request (method, URL, status, timing) on stderr; never the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as one JSON object on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cio;help' {
            [CompletionResult]::new('track', 'track', [CompletionResultType]::ParameterValue, 'Record an action a person took: `cio track "Product Added" --prop price=139.99`')
            [CompletionResult]::new('identify', 'identify', [CompletionResultType]::ParameterValue, 'Say who a person is and set their traits: `cio identify --user-id u1 --trait email=a@b.c`')
            [CompletionResult]::new('page', 'page', [CompletionResultType]::ParameterValue, 'Record a page view: `cio page Home --prop url=https://example.com/?q=1`')
            [CompletionResult]::new('screen', 'screen', [CompletionResultType]::ParameterValue, 'Record a mobile screen view: `cio screen Settings`')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'Put a person in a group (company, account): `cio group --group-id acme`')
            [CompletionResult]::new('alias', 'alias', [CompletionResultType]::ParameterValue, 'Merge two identities: `cio alias --previous-id anon-1 --user-id u1`')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Replay NDJSON calls (files, .gz, or stdin) through the batch API')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Serve the Pipelines API locally: show, check and record every call an app sends')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Create, read and change the config file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script: `cio completions bash > /etc/bash_completion.d/cio`')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff): `cio man > cio.1`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cio;help;track' {
            break
        }
        'cio;help;identify' {
            break
        }
        'cio;help;page' {
            break
        }
        'cio;help;screen' {
            break
        }
        'cio;help;group' {
            break
        }
        'cio;help;alias' {
            break
        }
        'cio;help;batch' {
            break
        }
        'cio;help;listen' {
            break
        }
        'cio;help;config' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the config file with a profile (asks for the write key on a terminal)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a value of the profile; write_key is read from stdin or a hidden prompt')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a value of the profile (write_key is masked)')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove a value from the profile')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles and their values (write keys masked)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of the config file')
            break
        }
        'cio;help;config;init' {
            break
        }
        'cio;help;config;set' {
            break
        }
        'cio;help;config;get' {
            break
        }
        'cio;help;config;unset' {
            break
        }
        'cio;help;config;list' {
            break
        }
        'cio;help;config;path' {
            break
        }
        'cio;help;completions' {
            break
        }
        'cio;help;man' {
            break
        }
        'cio;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

/// The options by which well-known command-line tools take a password or token whose option name does not say so
/// (`mysql -pSECRET`, `sshpass -p SECRET`, `docker login -p SECRET`, `redis-cli -a SECRET`, `curl -u user:SECRET`),
/// each as the tool's own documentation gives it.
enum CommandOptions {
    /// Which part of the option's value is the secret.
    enum Part {
        /// All of it.
        case whole
        /// What follows the first ':' (`user:password`).
        case afterColon
        /// What follows the first '%' (`user%password`).
        case afterPercent
    }

    struct Option {
        /// The option as typed: `-p`, `--body`.
        var flag: String
        /// Whether the value may follow the flag after a space (`-p VALUE`).
        var separate: Bool
        /// Whether the value may be glued to the flag (`-pVALUE`).
        var attached: Bool
        var part: Part = .whole
    }

    struct Tool {
        var names: [String]
        /// A word that must come between the tool's name and the option (`docker login`, `gh secret set`).
        var subcommand: String?
        var options: [Option]
    }

    static let tools: [Tool] = [
        // MySQL and MariaDB clients: `-pPASSWORD`; a separate word after `-p` is the database, the password is asked.
        Tool(
            names: [
                "mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck", "mysqlpump", "mariadb",
                "mariadb-dump", "mariadb-admin",
            ],
            options: [Option(flag: "-p", separate: false, attached: true)]),
        Tool(names: ["sshpass"], options: [Option(flag: "-p", separate: true, attached: true)]),
        Tool(
            names: ["docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "crane", "helm", "regctl"],
            subcommand: "login", options: [Option(flag: "-p", separate: true, attached: false)]),
        Tool(names: ["az"], subcommand: "login", options: [Option(flag: "-p", separate: true, attached: false)]),
        Tool(names: ["twine"], options: [Option(flag: "-p", separate: true, attached: false)]),
        Tool(names: ["redis-cli", "keydb-cli"], options: [Option(flag: "-a", separate: true, attached: false)]),
        Tool(
            names: ["mongosh", "mongo", "mongodump", "mongorestore", "mongoexport", "mongoimport"],
            options: [Option(flag: "-p", separate: true, attached: false)]),
        Tool(names: ["sqlcmd", "bcp"], options: [Option(flag: "-P", separate: true, attached: false)]),
        Tool(names: ["zip", "unzip"], options: [Option(flag: "-P", separate: true, attached: false)]),
        Tool(names: ["7z", "7za", "7zz"], options: [Option(flag: "-p", separate: false, attached: true)]),
        Tool(
            names: ["ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami", "ldappasswd", "ldapcompare"],
            options: [Option(flag: "-w", separate: true, attached: false)]),
        Tool(
            names: ["gh"], subcommand: "secret",
            options: [
                Option(flag: "-b", separate: true, attached: false),
                Option(flag: "--body", separate: true, attached: false),
            ]),
        Tool(
            names: ["curl"],
            options: [
                Option(flag: "-u", separate: true, attached: true, part: .afterColon),
                Option(flag: "--user", separate: true, attached: false, part: .afterColon),
                Option(flag: "-U", separate: true, attached: true, part: .afterColon),
                Option(flag: "--proxy-user", separate: true, attached: false, part: .afterColon),
            ]),
        Tool(
            names: ["smbclient", "rpcclient", "smbmap"],
            options: [
                Option(flag: "-U", separate: true, attached: false, part: .afterPercent),
                Option(flag: "--user", separate: true, attached: false, part: .afterPercent),
            ]),
    ]

    /// Words that run another command after them: `sudo mysql ...`, `env A=1 mysql ...`.
    static let wrappers: Set<String> = ["sudo", "env", "exec", "time", "nohup", "command", "xargs", "doas", "nice"]

    /// The tools by option, for the scanner: the option's flag, then the tools that take it.
    static let byFlag: [String: [(tool: Tool, option: Option)]] = {
        var table: [String: [(tool: Tool, option: Option)]] = [:]
        for tool in tools {
            for option in tool.options { table[option.flag, default: []].append((tool, option)) }
        }
        return table
    }()
}

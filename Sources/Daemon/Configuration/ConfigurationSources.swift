import Foundation

/// Where a configuration comes from: the command line, the environment and the config file,
/// kept so that it can be resolved again (SIGHUP re-reads the file; flags and environment
/// cannot change in a running process).
public struct ConfigurationSources: Sendable {
    /// The command-line flags (`--listen`, ...), the first layer.
    public var commandLine: ConfigurationLayer
    /// Variables, home and working directory.
    public var environment: ConfigurationEnvironment
    /// The config file: `--config`, else `$OMNISONIC_CONFIG`, else
    /// `$XDG_CONFIG_HOME/omnisonic/config.toml`. Absolute.
    public var configFile: String
    /// True when the file was named (flag or variable): then it must exist. The default file
    /// is optional.
    public var configFileRequired: Bool

    /// - Parameters:
    ///   - configFlag: the value of `--config`, if given (relative to the working directory).
    public init(commandLine: ConfigurationLayer, configFlag: String?, environment: ConfigurationEnvironment) {
        self.commandLine = commandLine
        self.environment = environment
        if let configFlag, !configFlag.isEmpty {
            configFile = Configuration.absolute(configFlag, relativeTo: environment.workingDirectory, home: environment.home)
            configFileRequired = true
        } else if let variable = environment.variables["OMNISONIC_CONFIG"], !variable.isEmpty {
            configFile = Configuration.absolute(variable, relativeTo: environment.workingDirectory, home: environment.home)
            configFileRequired = true
        } else {
            configFile = environment.defaultConfigFile
            configFileRequired = false
        }
    }

    /// The config file's layer, or nil when the default file does not exist.
    ///
    /// - Throws: `ConfigurationError` when a named file is missing, or the file is unreadable or invalid.
    public func fileLayer() throws(ConfigurationError) -> ConfigurationLayer? {
        if !configFileRequired && !FileManager.default.fileExists(atPath: configFile) { return nil }
        return try ConfigurationFile.load(path: configFile)
    }

    /// Resolves flags > environment > config file > defaults (reading the file now).
    ///
    /// - Throws: `ConfigurationError` naming the key and its origin (the file's path for file keys).
    public func resolve() throws(ConfigurationError) -> Configuration {
        var layers = [commandLine, .environment(environment.variables, workingDirectory: environment.workingDirectory)]
        if let file = try fileLayer() { layers.append(file) }
        return try Configuration.resolve(layers, environment: environment)
    }
}

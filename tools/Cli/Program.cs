using Tangent.Cli;

return CommandLine.Run(args);

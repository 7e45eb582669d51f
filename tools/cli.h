/* The subcommands of the mmarml command. Each returns the process exit status. */
#ifndef MMARML_TOOLS_CLI_H
#define MMARML_TOOLS_CLI_H

int cli_run(int argc, char **argv);
int cli_admin(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_prune_replay(int argc, char **argv);

#endif

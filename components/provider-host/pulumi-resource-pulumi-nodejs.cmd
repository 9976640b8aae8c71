@echo off
REM Windows twin of pulumi-resource-pulumi-nodejs (the CLI tries .cmd on Windows).
node "%~dp0host.cjs" %*

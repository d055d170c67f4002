@echo off
rem kubectl 1.26+ runs this (found on PATH) to complete "kubectl distroless-debug ...":
rem it asks the plugin next to it, or else the one on PATH.
setlocal
set "plugin=%~dp0kubectl-distroless_debug.exe"
if not exist "%plugin%" set "plugin=kubectl-distroless_debug.exe"
"%plugin%" __complete %*

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side fast path: run a module's resource logic in the worker process.

Every msp.cipp module talks HTTP from wherever it runs, normally the controller itself. Shipping the module
there costs ~0.5 s of start-up per task; running the same resource function in-process costs almost
nothing. The argument spec, check mode, diff and no_log handling are the module's own.

Both paths must see the same settings. The task's templated ``environment:`` takes part in every ``CIPP_*``
fallback here exactly as it would in the module's process (where it is layered over the controller's own
environment). The normal module runs instead when in-process execution cannot be the same:
  - the task runs on (or is delegated to) a host that is not the controller, or uses async;
  - the task uses ``become`` (the module would run as another user, with that user's token cache and files);
  - the task's environment sets anything besides ``CIPP_*`` (proxies, CA bundles, HOME change what requests and
    the token cache do in the module's process, and this process cannot take them over without leaking them
    into other tasks);
  - CIPP_EXECUTION=module is set, in the controller's or the task's environment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippError
from ansible_collections.msp.cipp.plugins.module_utils._module import CONNECTION_ARGSPEC, client_from_params, finish, unstructured_options

LOCAL_CONNECTIONS = ('local', 'ansible.builtin.local')


class CippAction(ActionBase):
    """Subclasses set MODULE, the short name of the module they run."""

    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def _task_environment(self):
        """The task's ``environment:`` (play, block and task levels merged and templated) as the module would get it."""
        if not getattr(self._task, 'environment', None):
            return {}
        environment = {}
        self._compute_environment_string(environment)
        # The module's process sees them as strings (the shell prefix), and converts them from there.
        return dict((str(key), str(value)) for key, value in environment.items())

    def _in_process(self, environment):
        setting = environment.get('CIPP_EXECUTION', os.environ.get('CIPP_EXECUTION', 'controller'))
        if setting.strip().lower() == 'module':
            return False
        if self._task.async_val:
            return False
        if getattr(self._task, 'become', False) or getattr(self._play_context, 'become', False):
            return False
        if any(not key.startswith('CIPP_') for key in environment):
            return False
        return getattr(self._connection, '_load_name', None) in LOCAL_CONNECTIONS

    def run(self, tmp=None, task_vars=None):
        result = super(CippAction, self).run(tmp, task_vars)
        environment = self._task_environment()
        if not self._in_process(environment):
            result.update(self._execute_module(module_name='msp.cipp.%s' % self.MODULE, module_args=self._task.args,
                                               task_vars=task_vars, wrap_async=self._task.async_val))
            return result

        module = importlib.import_module('ansible_collections.msp.cipp.plugins.modules.%s' % self.MODULE)
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(module.ARGUMENT_SPEC)
        shapeless = unstructured_options(spec, self._task.args)
        if shapeless:
            result.update(failed=True, msg='; '.join(shapeless))
            return result
        args = with_environment_fallbacks(spec, self._task.args, environment)
        validation = ArgumentSpecValidator(spec, **module.MODULE_KWARGS).validate(args)
        no_log_values = validation._no_log_values
        if validation.error_messages:
            result.update(failed=True, msg=remove_values('; '.join(validation.error_messages), no_log_values))
            return result

        params = validation.validated_parameters
        check_mode, want_diff = bool(self._play_context.check_mode), bool(self._play_context.diff)
        client = None
        try:
            client = client_from_params(params, check_mode)
            outcome = finish(module.RESOURCE(client, params, check_mode), client, want_diff)
        except CippError as exc:
            failure = {'msg': exc.message}
            failure.update(exc.to_result())
            outcome = finish(failure, client, False)
            outcome['failed'] = True
        warnings = list(outcome.pop('warnings', None) or [])
        warnings += ['Both option %s and its alias %s are set.' % (item['option'], item['alias']) for item in validation._warnings]
        outcome = remove_values(outcome, no_log_values)
        if warnings:
            outcome['warnings'] = remove_values(warnings, no_log_values)
        outcome['invocation'] = {'module_args': remove_values(params, no_log_values)}
        result.update(outcome)
        return result


def with_environment_fallbacks(spec, args, environment):
    """``args`` plus the options whose environment fallback the task's environment sets.

    The validator's own fallback reads this process's environment (the controller's); the module's process would
    read the task's environment over it. An option given in the task (or through an alias) is left alone, as the
    validator leaves it alone.
    """
    args = dict(args)
    for name, option in spec.items():
        fallback = option.get('fallback') or (None,)
        if fallback[0] is not env_fallback or any(key in args for key in [name] + list(option.get('aliases') or [])):
            continue
        for variable in fallback[1] if len(fallback) > 1 else ():
            if variable in environment:
                args[name] = environment[variable]
                break
    return args

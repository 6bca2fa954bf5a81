# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a cipp_user option maps to the Graph property CIPP returns and the field CIPP's AddUser/EditUser take."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.module_utils._common import LIST_CONTRACT_SPEC


class UserField:
    __slots__ = ('option', 'graph', 'kind', 'clearable', 'via_attributes', 'case_sensitive')

    def __init__(self, option, graph, kind='str', clearable=True, via_attributes=False, case_sensitive=True):
        self.option = option            # module option name
        self.graph = graph              # Graph property, also CIPP's body field (same spelling)
        self.kind = kind                # 'str' or 'list'
        self.clearable = clearable      # EditUser's clearProperties accepts it (CONTRACT 5.3)
        self.via_attributes = via_attributes  # not a named EditUser/AddUser field: sent in defaultAttributes
        self.case_sensitive = case_sensitive


PROFILE_FIELDS = (
    UserField('display_name', 'displayName', clearable=False),
    UserField('given_name', 'givenName'),
    UserField('surname', 'surname'),
    UserField('job_title', 'jobTitle'),
    UserField('department', 'department'),
    UserField('company_name', 'companyName'),
    UserField('office_location', 'officeLocation', clearable=False, via_attributes=True),
    UserField('street_address', 'streetAddress'),
    UserField('city', 'city'),
    UserField('state_or_province', 'state'),
    UserField('postal_code', 'postalCode'),
    UserField('country', 'country'),
    UserField('mobile_phone', 'mobilePhone'),
    UserField('business_phones', 'businessPhones', kind='list'),
    UserField('other_mails', 'otherMails', kind='list', case_sensitive=False),
    UserField('usage_location', 'usageLocation', clearable=False, case_sensitive=False),
)

FIELDS_BY_OPTION = dict((field.option, field) for field in PROFILE_FIELDS)
FIELDS_BY_GRAPH = dict((field.graph, field) for field in PROFILE_FIELDS)


def profile_argspec():
    spec = {}
    for field in PROFILE_FIELDS:
        if field.kind == 'list':
            spec[field.option] = dict(type='list', elements='str')
        else:
            spec[field.option] = dict(type='str')
    return spec


def user_argspec():
    """The options that describe one user: cipp_user's, and those of each entry of cipp_users."""
    spec = dict(
        account_enabled=dict(type='bool'),
        manager=dict(type='str'),
        password=dict(type='raw', no_log=True),  # raw: a dict or list must fail, not become its str()
        must_change_password=dict(type='bool', no_log=False),
        licenses=dict(LIST_CONTRACT_SPEC),
        groups=dict(LIST_CONTRACT_SPEC),
    )
    spec.update(profile_argspec())
    return spec

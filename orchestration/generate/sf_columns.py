"""Column lists of the Salesforce Data Export files, in the order a real export writes them.

Lead, Opportunity, OpportunityHistory, Account, Campaign and CampaignMember copy the headers of a
real Developer-org export (tests/fixtures provenance: konsul7770/konsul-force-org); fields this
org adds (multi-currency CurrencyIsoCode, custom __c fields) come last, as custom fields do in a
real export. User and Task follow the objects' standard field order.
"""

from __future__ import annotations

LEAD = ("Id", "IsDeleted", "MasterRecordId", "Salutation", "FirstName", "LastName", "Title", "Company", "Street",
        "City", "State", "PostalCode", "Country", "Latitude", "Longitude", "GeocodeAccuracy", "Phone", "MobilePhone",
        "Fax", "Email", "Website", "Description", "LeadSource", "Status", "Industry", "Rating", "AnnualRevenue",
        "NumberOfEmployees", "OwnerId", "HasOptedOutOfEmail", "IsConverted", "ConvertedDate", "ConvertedAccountId",
        "ConvertedContactId", "ConvertedOpportunityId", "IsUnreadByOwner", "CreatedDate", "CreatedById",
        "LastModifiedDate", "LastModifiedById", "SystemModstamp", "LastActivityDate", "DoNotCall", "HasOptedOutOfFax",
        "LastTransferDate", "Jigsaw", "JigsawContactId", "CleanStatus", "CompanyDunsNumber", "DandbCompanyId",
        "EmailBouncedReason", "EmailBouncedDate", "SICCode__c", "ProductInterest__c", "Primary__c",
        "CurrentGenerators__c", "NumberofLocations__c", "Disqualify_Reason__c")

OPPORTUNITY = ("Id", "IsDeleted", "AccountId", "IsPrivate", "Name", "Description", "StageName", "StageSortOrder",
               "Amount", "Probability", "ExpectedRevenue", "TotalOpportunityQuantity", "CloseDate", "Type", "NextStep",
               "LeadSource", "IsClosed", "IsWon", "ForecastCategory", "ForecastCategoryName", "CampaignId",
               "HasOpportunityLineItem", "Pricebook2Id", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate",
               "LastModifiedById", "SystemModstamp", "LastActivityDate", "LastStageChangeDate", "FiscalYear",
               "FiscalQuarter", "PrimaryPartnerAccountId", "ContractId", "DeliveryInstallationStatus__c",
               "TrackingNumber__c", "OrderNumber__c", "CurrentGenerators__c", "MainCompetitors__c", "CurrencyIsoCode",
               "Loss_Reason__c")

OPPORTUNITY_HISTORY = ("Id", "OpportunityId", "CreatedById", "CreatedDate", "CreatedDateForInsert", "StageName",
                       "Amount", "ExpectedRevenue", "CloseDate", "Probability", "FromForecastCategory",
                       "ForecastCategory", "PrevForecastUpdate", "FromOpportunityStageName",
                       "PrevOpportunityStageUpdate", "ValidThroughDate", "SystemModstamp", "IsDeleted")

ACCOUNT = ("Id", "IsDeleted", "MasterRecordId", "Name", "Type", "ParentId", "BillingStreet", "BillingCity",
           "BillingState", "BillingPostalCode", "BillingCountry", "BillingLatitude", "BillingLongitude",
           "BillingGeocodeAccuracy", "ShippingStreet", "ShippingCity", "ShippingState", "ShippingPostalCode",
           "ShippingCountry", "ShippingLatitude", "ShippingLongitude", "ShippingGeocodeAccuracy", "Phone", "Fax",
           "AccountNumber", "Website", "Sic", "Industry", "AnnualRevenue", "NumberOfEmployees", "Ownership",
           "TickerSymbol", "Description", "Rating", "Site", "OwnerId", "CreatedDate", "CreatedById",
           "LastModifiedDate", "LastModifiedById", "SystemModstamp", "LastActivityDate", "Jigsaw", "JigsawCompanyId",
           "CleanStatus", "AccountSource", "DunsNumber", "Tradestyle", "NaicsCode", "NaicsDesc", "YearStarted",
           "SicDesc", "DandbCompanyId", "CustomerPriority__c", "SLA__c", "Active__c", "NumberofLocations__c",
           "UpsellOpportunity__c", "SLASerialNumber__c", "SLAExpirationDate__c", "CurrencyIsoCode")

CAMPAIGN = ("Id", "IsDeleted", "Name", "ParentId", "Type", "Status", "StartDate", "EndDate", "ExpectedRevenue",
            "BudgetedCost", "ActualCost", "ExpectedResponse", "NumberSent", "IsActive", "Description",
            "NumberOfLeads", "NumberOfConvertedLeads", "NumberOfContacts", "NumberOfResponses",
            "NumberOfOpportunities", "NumberOfWonOpportunities", "AmountAllOpportunities", "AmountWonOpportunities",
            "HierarchyNumberOfLeads", "HierarchyNumberOfConvertedLeads", "HierarchyNumberOfContacts",
            "HierarchyNumberOfResponses", "HierarchyNumberOfOpportunities", "HierarchyNumberOfWonOpportunities",
            "HierarchyAmountAllOpportunities", "HierarchyAmountWonOpportunities", "HierarchyNumberSent",
            "HierarchyExpectedRevenue", "HierarchyBudgetedCost", "HierarchyActualCost", "OwnerId", "CreatedDate",
            "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp", "LastActivityDate",
            "CampaignMemberRecordTypeId", "CurrencyIsoCode")

CAMPAIGN_MEMBER = ("Id", "IsDeleted", "CampaignId", "LeadId", "ContactId", "Status", "HasResponded", "IsPrimary",
                   "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp",
                   "FirstRespondedDate")

USER = ("Id", "Username", "LastName", "FirstName", "MiddleName", "Suffix", "Name", "CompanyName", "Division",
        "Department", "Title", "Street", "City", "State", "PostalCode", "Country", "Latitude", "Longitude",
        "GeocodeAccuracy", "Email", "EmailPreferencesAutoBcc", "SenderEmail", "SenderName", "Signature", "Phone",
        "Fax", "MobilePhone", "Alias", "CommunityNickname", "IsActive", "TimeZoneSidKey", "UserRoleId",
        "LocaleSidKey", "ReceivesInfoEmails", "ReceivesAdminInfoEmails", "EmailEncodingKey", "ProfileId", "UserType",
        "LanguageLocaleKey", "EmployeeNumber", "DelegatedApproverId", "ManagerId", "LastLoginDate",
        "LastPasswordChangeDate", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
        "SystemModstamp", "UserPermissionsMarketingUser", "UserPermissionsOfflineUser", "ForecastEnabled",
        "ContactId", "AccountId", "CallCenterId", "Extension", "FederationIdentifier", "AboutMe", "DigestFrequency",
        "DefaultGroupNotificationFrequency", "LastViewedDate", "LastReferencedDate", "IsProfilePhotoActive",
        "IndividualId")

TASK = ("Id", "WhoId", "WhatId", "WhoCount", "WhatCount", "Subject", "ActivityDate", "Status", "Priority",
        "IsHighPriority", "OwnerId", "Description", "Type", "IsDeleted", "AccountId", "IsClosed", "CreatedDate",
        "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp", "IsArchived",
        "CallDurationInSeconds", "CallType", "CallDisposition", "CallObject", "ReminderDateTime", "IsReminderSet",
        "RecurrenceActivityId", "IsRecurrence", "TaskSubtype", "CompletedDateTime")

FILES = {"Lead": LEAD, "Opportunity": OPPORTUNITY, "OpportunityHistory": OPPORTUNITY_HISTORY, "Account": ACCOUNT,
         "User": USER, "Campaign": CAMPAIGN, "CampaignMember": CAMPAIGN_MEMBER, "Task": TASK}
